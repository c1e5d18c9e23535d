import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Order } from '../orders/order.entity.js';
import { ReportTasks } from './report.tasks.js';

@Module({
  imports: [TypeOrmModule.forFeature([Order])],
  providers: [ReportTasks],
})
export class ReportsModule {}
