import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { TaskClient, type TaskMeta } from 'celeriac';
import type { DataSource } from 'typeorm';
import { type CreateOrderDto, validateLine } from './create-order.dto.js';
import { OrderLine } from './order-line.entity.js';
import { Order } from './order.entity.js';
import { OrderTasks } from './order.tasks.js';

export interface OrderView {
  order: Order;
  task: { id: string | null; state: string; result: unknown } | null;
}

@Injectable()
export class OrdersService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly tasks: TaskClient,
  ) {}

  /**
   * Store the order and its lines in one transaction and send `orders.process` on commit. A bad
   * line throws after the order row was inserted: the transaction rolls back and no task is sent.
   */
  async create(dto: CreateOrderDto): Promise<Order> {
    const id = await this.dataSource.transaction(async (manager) => {
      const order = await manager.save(
        Order,
        manager.create(Order, { customerEmail: dto.customerEmail, lines: [] }),
      );
      const lines = dto.lines.map((line, i) =>
        manager.create(OrderLine, { ...validateLine(line, i), order }),
      );
      await manager.save(OrderLine, lines);
      // Sent only if this transaction commits; the id is known now and stored with the order.
      const task = await this.tasks
        .get(OrderTasks, 'process')
        .applyAsyncOnCommit([order.id], { manager });
      await manager.update(Order, order.id, { taskId: task.id });
      return order.id;
    });
    return (await this.get(id)).order;
  }

  async get(id: number): Promise<OrderView> {
    const order = await this.dataSource.getRepository(Order).findOneBy({ id });
    if (!order) throw new NotFoundException(`Order ${id} not found`);
    if (!order.taskId) return { order, task: null };
    const meta: TaskMeta | null = await this.tasks.result(order.taskId).meta();
    return {
      order,
      task: { id: order.taskId, state: meta?.status ?? 'PENDING', result: meta?.result ?? null },
    };
  }
}
