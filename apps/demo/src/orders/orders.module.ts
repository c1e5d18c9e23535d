import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OrderLine } from './order-line.entity.js';
import { Order } from './order.entity.js';
import { OrderTasks } from './order.tasks.js';
import { OrdersController } from './orders.controller.js';
import { OrdersService } from './orders.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([Order, OrderLine])],
  controllers: [OrdersController],
  providers: [OrdersService, OrderTasks],
  exports: [OrdersService],
})
export class OrdersModule {}
