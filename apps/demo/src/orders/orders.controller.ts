import { Body, Controller, Get, HttpCode, Param, ParseIntPipe, Post } from '@nestjs/common';
import { validateOrder } from './create-order.dto.js';
import type { Order } from './order.entity.js';
import { OrdersService, type OrderView } from './orders.service.js';

@Controller('orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Post()
  @HttpCode(201)
  create(@Body() body: unknown): Promise<Order> {
    return this.orders.create(validateOrder(body));
  }

  @Get(':id')
  get(@Param('id', ParseIntPipe) id: number): Promise<OrderView> {
    return this.orders.get(id);
  }
}
