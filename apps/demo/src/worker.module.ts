import { Module } from '@nestjs/common';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { TaskQueueBeatModule, TaskQueueModule } from 'celeriac';
import { TaskQueueMetricsModule } from 'celeriac/prometheus';
import { databaseConfig } from './database.config.js';
import { NotificationsModule } from './notifications/notifications.module.js';
import { OrdersModule } from './orders/orders.module.js';
import { ReportsModule } from './reports/reports.module.js';
import { beatConfig } from './beat.config.js';
import { taskQueueConfig } from './task-queue.config.js';

/** The demo's feature modules, without HTTP: a worker-only process. */
@Module({
  imports: [
    TypeOrmModule.forRootAsync({ useFactory: () => databaseConfig() }),
    TaskQueueModule.forRootAsync({
      inject: [getDataSourceToken()],
      useFactory: (dataSource: DataSource) => {
        const options = taskQueueConfig(dataSource);
        return { ...options, worker: { ...options.worker, enabled: true } };
      },
    }),
    TaskQueueBeatModule.forRoot(beatConfig()),
    // Served on the worker.http server (CELERIAC_HTTP_PORT): /metrics next to the probes.
    TaskQueueMetricsModule.forRoot({ path: false }),
    OrdersModule,
    NotificationsModule,
    ReportsModule,
  ],
})
export class WorkerModule {}
