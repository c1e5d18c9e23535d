import { Module } from '@nestjs/common';
import { NotificationTasks } from './notification.tasks.js';

@Module({ providers: [NotificationTasks] })
export class NotificationsModule {}
