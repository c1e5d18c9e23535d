import { Injectable, Logger, Optional, type Type } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { ConfigurationError } from '../errors/configuration.error.js';
import type { ControlRevokeOptions } from '../monitoring/remote-control/control-client.options.js';
import type { SendOptions } from '../contracts/apply-options.interface.js';
import type { AsyncResult } from '../results/async-result.js';
import {
  NOT_A_TASK,
  TASK_CLASS_LOADED_LAZILY,
  TASK_CLASS_NOT_PROVIDED,
} from '../task-queue.messages.js';
import { TaskRegistry } from '../tasks/task.registry.js';
import { TaskMetadataAccessor } from '../tasks/task-metadata.accessor.js';
import { TaskProducer } from './task-producer.js';
import type { ProducerOf, TaskMethodName } from './task-types.js';
import { TaskDispatcher } from './task.dispatcher.js';
import { CanvasApplier } from './canvas/canvas.applier.js';
import type { Signature } from './canvas/canvas-signature.js';
import { signature } from './canvas/canvas.functions.js';
import type { AnyArgs } from './canvas/canvas-types.js';
import type { SignatureOptions } from './canvas/signature-options.js';
import { isGroupStore } from '../contracts/group-store.interface.js';
import { resultFromTuple } from '../results/async-result.js';
import type { GroupResult } from '../results/group-result.js';
import { GroupStoreUnsupportedError } from '../errors/group-store-unsupported.error.js';

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

  private readonly logger = new Logger('TaskQueue');
  /** Classes already reported as not provided, so each is reported once. */
  private readonly reported = new WeakSet<object>();

  constructor(
    private readonly dispatcher: TaskDispatcher,
    private readonly canvas: CanvasApplier,
    @Optional() private readonly registry?: TaskRegistry,
    @Optional() private readonly discovery?: DiscoveryService,
  ) {}

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
      this.reportIfNotProvided(type, method, name);
      producer = new TaskProducer<never[], unknown>(
        name,
        metadata.options,
        this.dispatcher,
        this.canvas,
      );
      byMethod.set(method, producer);
    }
    return producer as unknown as ProducerOf<T, K>;
  }

  /**
   * A `@Task` whose class is no provider of this app is sent, but no worker of the app runs it:
   * say so once per class (once discovery ran, which registers at least the built-in tasks).
   */
  private reportIfNotProvided(type: Type, method: string, name: string): void {
    const registry = this.registry;
    if (!registry || this.reported.has(type) || registry.get(name)) return;
    if (registry.names().length === 0) return;
    this.reported.add(type);
    const lazyModule = this.moduleProviding(type);
    this.logger.warn(
      lazyModule
        ? TASK_CLASS_LOADED_LAZILY(type.name, method, name, lazyModule)
        : TASK_CLASS_NOT_PROVIDED(type.name, method, name),
    );
  }

  /**
   * The module that provides `type` now although discovery did not see it: one loaded after
   * boot by LazyModuleLoader.
   */
  private moduleProviding(type: Type): string | undefined {
    const wrapper = this.discovery
      ?.getProviders()
      .find(
        (candidate) =>
          candidate.metatype === type ||
          (candidate.instance as object | undefined)?.constructor === type,
      );
    return wrapper?.host?.metatype.name;
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

  /**
   * A signature of a task known only by name (Celery's `signature('proj.add', args, kwargs,
   * options)`), ready to apply or to put in a canvas. Pass the result type explicitly.
   */
  signature<R = unknown, A extends AnyArgs = AnyArgs>(
    name: string,
    args: readonly unknown[] = [],
    kwargs: Record<string, unknown> = {},
    options: SignatureOptions & { immutable?: boolean } = {},
  ): Signature<A, R> {
    return signature<R, A>(name, args, kwargs, options, this.canvas);
  }

  /**
   * A group saved with `GroupResult.save()` (by Node or Python), or null when unknown
   * (Celery's `GroupResult.restore(id)`).
   */
  async restoreGroup<R extends readonly unknown[] = unknown[]>(
    groupId: string,
  ): Promise<GroupResult<R> | null> {
    const backend = this.dispatcher.backendOf();
    if (!isGroupStore(backend)) {
      throw new GroupStoreUnsupportedError(backend?.kind ?? 'none', 'restoreGroup()');
    }
    const saved = await backend.restoreGroup(groupId);
    if (!saved) return null;
    return resultFromTuple([[groupId, null], saved.children], backend) as GroupResult<R>;
  }

  /** A handle on any task by id. */
  result<R = unknown>(id: string): AsyncResult<R> {
    return this.dispatcher.result<R>(id);
  }
}
