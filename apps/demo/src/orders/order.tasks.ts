import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Task, TaskClient, TaskContext } from 'celeriac';
import type { Repository } from 'typeorm';
import { NotificationTasks } from '../notifications/notification.tasks.js';
import { Order } from './order.entity.js';

export interface Receipt {
  orderId: number;
  totalCents: number;
  lines: number;
  processedBy: string;
}

/** Order tasks; found by Celeriac's explorer with no registration list. */
@Injectable()
export class OrderTasks {
  private readonly logger = new Logger('OrderTasks');

  constructor(
    @InjectRepository(Order) private readonly orders: Repository<Order>,
    private readonly tasks: TaskClient,
    private readonly ctx: TaskContext,
  ) {}

  /** Price the order, mark it processed and e-mail the customer. */
  @Task('orders.process', { maxRetries: 5, retryBackoff: true, params: ['orderId'] })
  async process(orderId: number): Promise<Receipt> {
    const order = await this.orders.findOneBy({ id: orderId });
    if (!order) throw new Error(`Order ${orderId} does not exist`);
    const totalCents = order.lines.reduce((sum, l) => sum + l.quantity * l.unitPriceCents, 0);
    await this.orders.update(order.id, { status: 'processed', totalCents });
    await this.tasks
      .get(NotificationTasks, 'orderConfirmation')
      .delay(order.customerEmail, order.id, totalCents);
    this.logger.log(
      `Processed order ${order.id}: ${order.lines.length} line(s), ${totalCents} cents`,
    );
    return {
      orderId: order.id,
      totalCents,
      lines: order.lines.length,
      processedBy: this.ctx.hostname,
    };
  }
}
