import { Module } from '@nestjs/common';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import { TaskQueueBeatModule, TaskQueueModule } from 'celeriac';
import { TaskQueueMetricsModule } from 'celeriac/prometheus';
import { TaskQueueTerminusModule } from 'celeriac/terminus';
import { TaskQueueDashboardModule } from '@celeriac/dashboard';
import type { DataSource } from 'typeorm';
import { dashboardConfig, dashboardTokens } from './dashboard/dashboard.config.js';
import { databaseConfig } from './database.config.js';
import { NotificationsModule } from './notifications/notifications.module.js';
import { OrdersModule } from './orders/orders.module.js';
import { ReportsModule } from './reports/reports.module.js';
import { beatConfig } from './beat.config.js';
import { taskQueueConfig } from './task-queue.config.js';

/** Read once: main.ts prints a generated token so the dashboard can be opened. */
export const DASHBOARD_TOKENS = dashboardTokens();

@Module({
  imports: [
    TypeOrmModule.forRootAsync({ useFactory: () => databaseConfig() }),
    TaskQueueModule.forRootAsync({
      inject: [getDataSourceToken()],
      useFactory: (dataSource: DataSource) => taskQueueConfig(dataSource),
    }),
    TaskQueueBeatModule.forRoot(beatConfig()),
    TaskQueueDashboardModule.forRoot(dashboardConfig(DASHBOARD_TOKENS)),
    // GET /metrics, and GET /health/live + /health/ready (docs/metrics-and-health.md).
    TaskQueueMetricsModule.forRoot(),
    TaskQueueTerminusModule.forRoot(),
    OrdersModule,
    NotificationsModule,
    ReportsModule,
  ],
})
export class AppModule {}
