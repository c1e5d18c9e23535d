import { Injectable, Module, Scope } from '@nestjs/common';
import { Task } from '../tasks/task.decorator.js';
import { TaskClient } from '../producer/task.client.js';
import { TaskContext } from '../tasks/task-context.js';

export interface Receipt {
  orderId: number;
  total: number;
}

export class PaymentDeclined extends Error {
  override name = 'PaymentDeclined';
}

@Injectable()
export class OrderTasks {
  readonly calls: number[] = [];
  concurrent = 0;
  maxConcurrent = 0;

  constructor(
    readonly ctx: TaskContext,
    private readonly tasks: TaskClient,
  ) {}

  @Task('orders.spawn')
  async spawn(): Promise<string> {
    return (await this.tasks.get(OrderTasks, 'whoami').delay()).id;
  }

  @Task('orders.process')
  async process(orderId: number): Promise<Receipt> {
    this.calls.push(orderId);
    return { orderId, total: orderId * 2 };
  }

  @Task('orders.decline')
  async decline(reason: string): Promise<never> {
    throw new PaymentDeclined(reason);
  }

  @Task('orders.slow')
  async slow(ms: number): Promise<string> {
    this.concurrent++;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.concurrent);
    try {
      await new Promise((r) => setTimeout(r, ms));
      return 'done';
    } finally {
      this.concurrent--;
    }
  }

  @Task('orders.progress')
  async progress(steps: number): Promise<number> {
    for (let i = 1; i <= steps; i++) {
      await this.ctx.updateState('PROGRESS', { done: i, total: steps });
      await new Promise((r) => setTimeout(r, 20));
    }
    return steps;
  }

  @Task('orders.whoami')
  async whoami(): Promise<Record<string, unknown>> {
    const c = this.ctx;
    return {
      id: c.id,
      name: c.name,
      args: c.args,
      kwargs: c.kwargs,
      retries: c.retries,
      rootId: c.rootId,
      parentId: c.parentId,
      hostname: c.hostname,
      routingKey: c.deliveryInfo.routingKey,
      custom: c.headers['x-custom'] ?? null,
      aborted: c.signal.aborted,
    };
  }

  @Task('orders.add', { params: ['x', 'y'] })
  add(x: number, y: number): number {
    return x + y;
  }

  /** Default name: OrderTasks.audit */
  @Task()
  audit(): string {
    return 'audited';
  }
}

@Module({ providers: [OrderTasks] })
export class OrdersFixtureModule {}

@Injectable()
export class NotificationTasks {
  @Task('notifications.email')
  email(to: string, subject: string): string {
    return `sent ${subject} to ${to}`;
  }
}

@Module({ providers: [NotificationTasks] })
export class NotificationsFixtureModule {}

let scopedInstances = 0;
@Injectable({ scope: Scope.TRANSIENT })
export class ScopedTasks {
  readonly instance = ++scopedInstances;

  @Task('scoped.instance')
  which(): number {
    return this.instance;
  }
}
