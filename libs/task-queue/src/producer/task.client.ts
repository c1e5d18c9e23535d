import { Injectable, type Type } from '@nestjs/common';
import { ConfigurationError } from '../errors/configuration.error.js';
import type { ControlRevokeOptions } from '../monitoring/remote-control/control-client.options.js';
import type { SendOptions } from '../contracts/apply-options.interface.js';
import type { AsyncResult } from '../results/async-result.js';
import { NOT_A_TASK } from '../task-queue.messages.js';
import { TaskMetadataAccessor } from '../tasks/task-metadata.accessor.js';
import { TaskProducer } from './task-producer.js';
import type { ProducerOf, TaskMethodName } from './task-types.js';
import { TaskDispatcher } from './task.dispatcher.js';

/**
 * The injectable entry point for producers.
 *
 * @example
 * constructor(private readonly tasks: TaskClient) {}
 * const result = await this.tasks.get(OrderTasks, 'process').delay(42); // AsyncResult<Receipt>
 * await this.tasks.send('proj.add', [2, 3]);                            // a Python task, by name
 * @publicApi
 */
@Injectable()
export class TaskClient {
  private readonly producers = new WeakMap<object, Map<string, TaskProducer<never[], unknown>>>();

  constructor(private readonly dispatcher: TaskDispatcher) {}

  /** The typed producer of the `@Task()` method `method` of `type`. Works without a worker. */
  get<T extends object, K extends TaskMethodName<T>>(type: Type<T>, method: K): ProducerOf<T, K> {
    let byMethod = this.producers.get(type);
    if (!byMethod) this.producers.set(type, (byMethod = new Map()));
    let producer = byMethod.get(method);
    if (!producer) {
      const metadata = TaskMetadataAccessor.read(
        (type.prototype as Record<string, unknown>)[method],
      );
      if (!metadata) throw new ConfigurationError(NOT_A_TASK(type.name, method));
      const name = TaskMetadataAccessor.taskName(type.name, method, metadata);
      producer = new TaskProducer<never[], unknown>(name, metadata.options, this.dispatcher);
      byMethod.set(method, producer);
    }
    return producer as unknown as ProducerOf<T, K>;
  }

  /**
   * Send a task known only by name (a Python task, or one in another service). Untyped:
   * pass the result type explicitly, `send<number>('proj.add', [2, 3])`.
   */
  send<R = unknown>(
    name: string,
    args: readonly unknown[] = [],
    kwargs: Record<string, unknown> = {},
    options: Omit<SendOptions, 'kwargs'> = {},
  ): Promise<AsyncResult<R>> {
    return this.dispatcher.send<R>(name, args, { ...options, kwargs });
  }

  /**
   * Revoke tasks by id on every worker, Node or Python, now and for workers that start later
   * (Celery's `app.control.revoke`); `terminate: true` aborts running ones.
   */
  revoke(ids: string | string[], options: ControlRevokeOptions = {}): Promise<void> {
    return this.dispatcher.revoke(ids, options);
  }

  /** A handle on any task by id. */
  result<R = unknown>(id: string): AsyncResult<R> {
    return this.dispatcher.result<R>(id);
  }
}
