import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TaskQueueModule } from 'celeriac';
import { databaseConfig } from './database.config.js';
import { NotificationsModule } from './notifications/notifications.module.js';
import { OrdersModule } from './orders/orders.module.js';
import { taskQueueConfig } from './task-queue.config.js';

@Module({
  imports: [
    TypeOrmModule.forRootAsync({ useFactory: () => databaseConfig() }),
    TaskQueueModule.forRootAsync({ useFactory: () => taskQueueConfig() }),
    OrdersModule,
    NotificationsModule,
  ],
})
export class AppModule {}
