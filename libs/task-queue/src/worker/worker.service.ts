import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { ResolvedTaskQueueOptions } from '../config/resolved-options.js';
import { TaskRegistry } from '../tasks/task.registry.js';
import type { Broker, Consumer, Delivery } from '../contracts/broker.interface.js';
import { parseTaskMessage } from '../protocol/task-message.parser.js';
import type { TaskRequest } from '../protocol/task-request.js';
import { DEFAULTS } from '../task-queue.constants.js';
import { expandNodename } from '../utils/nodename.js';
import {
  getBrokerToken,
  getRateLimitStoreFactoryToken,
  getTaskQueueConfigToken,
} from '../utils/tokens.js';
import type { RateLimitStoreFactory } from '../contracts/rate-limit-store.interface.js';
import { DeadLetters } from './dead-letter.service.js';
import { ResultRecorder } from './result-recorder.js';
import { RevokedTasks } from '../revocation/revoked-tasks.js';
import { TaskAdmission } from './task-admission.js';
import { type GuardedDelivery, settleOnce } from './settle-once.js';
import { receivedEvent, TaskEvents } from '../tasks/task-events.js';
import { TaskExecutor } from './task-executor.js';
import { TaskPools } from './pool/task-pools.js';
import { workerBanner } from './worker-banner.js';
import { WorkerConnections } from './worker-connections.js';
import { type Active, type Reserved, WorkerHoldings } from './worker-holdings.js';
import { LazyAbortController } from './lazy-abort.js';
import { Subject, type Observable } from 'rxjs';
import { taskLogFields } from '../tasks/task-log-fields.js';

export type { HeldRequest } from './worker-holdings.js';

/**
 * The worker: consumes after bootstrap, runs at most `concurrency` tasks at once from at most
 * `concurrency × prefetch` reserved messages, and shuts down gracefully: stop fetching, let
 * in-flight tasks finish within `shutdownTimeout`, requeue what did not. It installs no
 * process signal handler: `handleShutdownSignals(app)` maps SIGTERM / SIGINT to a graceful
 * close (exit 0) and a second signal to {@link coldShutdown} (exit 1).
 */
@Injectable()
export class WorkerService
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  readonly hostname: string;
  private readonly logger = new Logger('TaskQueue');
  private readonly startedSubject = new Subject<void>();
  /** Emits each time the worker starts consuming (at bootstrap, or a later `start()`). */
  readonly started$: Observable<void> = this.startedSubject.asObservable();
  private consumer?: Consumer;
  private state: 'idle' | 'running' | 'stopping' | 'stopped' = 'idle';
  private readonly held = new WorkerHoldings((delivery, error) =>
    this.settleFailed(delivery, error),
  );
  private admission?: TaskAdmission;
  private shutdownBegun = false;

  constructor(
    @Inject(getTaskQueueConfigToken()) private readonly config: ResolvedTaskQueueOptions,
    @Inject(getBrokerToken()) private readonly broker: Broker,
    private readonly registry: TaskRegistry,
    private readonly executor: TaskExecutor,
    private readonly events: TaskEvents,
    private readonly recorder: ResultRecorder,
    private readonly deadLetters: DeadLetters,
    private readonly connections: WorkerConnections,
    private readonly revoked: RevokedTasks,
    @Inject(getRateLimitStoreFactoryToken())
    private readonly openRateLimitStore: RateLimitStoreFactory,
    private readonly pools: TaskPools,
  ) {
    this.hostname = expandNodename(config.worker.hostname);
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.worker.enabled) await this.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.beginShutdown();
    await this.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.admission?.close();
    await this.pools.close();
  }

  get running(): boolean {
    return this.state === 'running';
  }

  /**
   * True from the first shutdown signal (`handleShutdownSignals`) or the start of the app's
   * shutdown: readiness probes answer 503 from then on, while in-flight tasks still finish.
   */
  get shuttingDown(): boolean {
    return this.shutdownBegun;
  }

  /** Mark the process as shutting down (readiness goes down); the drain starts separately. */
  beginShutdown(): void {
    this.shutdownBegun = true;
  }

  /** Tasks running now (busy slots), out of `concurrency`. */
  get busySlots(): number {
    return this.held.active.size;
  }

  /** Tasks this worker runs at once. */
  get concurrency(): number {
    return this.config.worker.concurrency;
  }

  /** Start consuming `queues` (default: the configured ones); called on bootstrap when `worker.enabled`. */
  async start(queues: string[] = this.config.worker.queues): Promise<void> {
    if (this.state === 'running' || this.state === 'stopping') return;
    const { concurrency, prefetch } = this.config.worker;
    this.admission ??= new TaskAdmission(
      this.registry,
      await this.openRateLimitStore(
        this.registry
          .all()
          .filter((t) => t.options.globalRateLimit)
          .map((t) => t.name),
      ),
    );
    await this.revoked.follow();
    // Isolates boot before the first message is taken (a cold Nest context takes a second).
    await this.pools.start();
    this.state = 'running';
    this.consumer = await this.broker.consume(queues, (d) => this.onDelivery(d), {
      prefetch: concurrency * prefetch,
    });
    if (this.config.worker.banner) {
      this.logger.log(
        workerBanner(this.config, {
          hostname: this.hostname,
          broker: this.connections.brokerDescription,
          backend: this.connections.backendDescription,
          tasks: this.registry.names(),
          queues,
        }),
      );
    }
    this.startedSubject.next();
  }

  /** Stop fetching, drain or requeue, and settle every message this worker holds. */
  async stop(): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'stopping';
    try {
      await this.consumer
        ?.cancel()
        .catch((e: Error) => this.logger.warn(`Cancelling the consumer failed: ${e.message}`));
      await this.held.requeueWaiting();
      if (this.held.active.size) {
        this.logger.log(
          `Warm shutdown: waiting up to ${this.config.worker.shutdownTimeout} ms for ${this.held.active.size} running task(s).`,
        );
      }
      const finished = await this.held.waitActive(this.config.worker.shutdownTimeout);
      if (!finished) await this.requeueActive('shutdown timeout reached');
    } finally {
      this.state = 'stopped';
    }
  }

  /**
   * Cold shutdown (e.g. a second SIGTERM during a warm one, see `handleShutdownSignals`):
   * abort running tasks, requeue everything this worker holds and close the connections now.
   * The process should exit afterwards; the library never exits it.
   */
  async coldShutdown(reason: string): Promise<void> {
    if (this.state === 'running') {
      this.state = 'stopping';
      await this.consumer?.cancel().catch(() => undefined);
    }
    await Promise.all([this.held.requeueWaiting(), this.requeueActive(reason)]);
    await this.connections.close();
  }

  /** True when nothing is reserved, scheduled or running. */
  get idle(): boolean {
    return this.held.idle;
  }

  /** Resolves when nothing is reserved, scheduled or running (tests, drains). */
  onIdle(): Promise<void> {
    return this.held.onIdle();
  }

  /** Snapshot for `inspect active / reserved / scheduled / stats`. */
  snapshot(): ReturnType<WorkerHoldings['snapshot']> {
    return this.held.snapshot();
  }

  private onDelivery(raw: Delivery): void {
    const delivery = settleOnce(raw);
    if (this.state !== 'running') {
      void delivery.reject(true);
      return;
    }
    let request: TaskRequest;
    try {
      request = parseTaskMessage(delivery.message, delivery.deliveryInfo.routingKey);
    } catch (error) {
      void this.malformed(delivery, error as Error);
      return;
    }
    if (this.events.listens('task-received')) {
      this.events.emit(receivedEvent(request, this.hostname, delivery.queue));
    }
    const wait = request.eta ? request.eta.getTime() - Date.now() : 0;
    if (wait > DEFAULTS.etaHoldMs) {
      // Far-future ETA: park it in the broker instead of holding it unacked (no visibility
      // timeout duplicates, no loss if this worker dies).
      void delivery.defer(request.eta!).catch((e: Error) => this.settleFailed(delivery, e));
      return;
    }
    if (wait > 0) this.holdUntilEta({ delivery, request }, wait);
    else this.enqueue({ delivery, request });
  }

  private enqueue(item: Reserved): void {
    if (this.state !== 'running') {
      void item.delivery.reject(true);
      return;
    }
    this.held.ready.push(item);
    this.pump();
  }

  private pump(): void {
    while (
      this.state === 'running' &&
      this.held.active.size < this.config.worker.concurrency &&
      this.held.ready.length
    ) {
      const item = this.held.ready.shift()!;
      if (item.admitted || !this.admission?.limited(item.request.name)) this.run(item);
      else void this.admit(item);
    }
    this.held.notifyIfIdle();
  }

  /** Rate limits: reserve the task's start slot, keep it aside until then (no slot is held). */
  private async admit(item: Reserved): Promise<void> {
    this.held.admitting++;
    try {
      const wait = await this.admission!.reserve(item.request.name);
      if (wait > 0) this.hold({ ...item, admitted: true }, wait);
      else this.enqueue({ ...item, admitted: true });
    } catch (error) {
      this.logger.warn(
        `Rate-limit store unavailable for ${item.request.name}: ${(error as Error).message}. Retrying in 1 s.`,
      );
      this.hold(item, 1_000);
    } finally {
      this.held.admitting--;
    }
  }

  /** Keep a reserved message aside for `ms` (ETA due soon, or rate limited), then queue it. */
  private hold(item: Reserved, ms: number): void {
    this.held.hold(item, ms, (released) => this.enqueue(released));
  }

  /**
   * An ETA due soon: keep it aside, outside the prefetch window (the broker fetches the
   * messages behind it meanwhile), and queue it when due. Timers fire in ETA order.
   */
  private holdUntilEta(item: Reserved, ms: number): void {
    item.delivery.setHeld?.(true);
    this.held.hold(item, ms, (released) => {
      released.delivery.setHeld?.(false);
      this.enqueue(released);
    });
  }

  private run(item: Reserved): void {
    const controller = new LazyAbortController();
    const finish = (): void => {
      this.held.active.remove(active);
      this.held.finished(item.request.name);
      this.pump();
    };
    const fail = (error: Error): void => {
      try {
        this.logger.error(
          `Worker error on task ${item.request.id}: ${error.message}`,
          taskLogFields(item.request),
          error.stack,
        );
      } finally {
        finish();
      }
    };
    // Listed fields, not a spread of `item`: this runs for every task. `finish` runs in a
    // later microtask, after `active` is on the list.
    const active: Active = {
      delivery: item.delivery,
      request: item.request,
      admitted: item.admitted,
      controller,
      startedAt: Date.now(),
      done: this.executor
        .execute(item.delivery, item.request, this.hostname, controller)
        .then(finish, fail),
      slot: -1,
    };
    this.held.active.add(active);
  }

  private async malformed(delivery: GuardedDelivery, error: Error): Promise<void> {
    const id = delivery.message?.headers?.id;
    this.logger.error(
      `Rejected a malformed message from "${delivery.queue}" (tag ${delivery.deliveryTag}): ${error.message}`,
    );
    if (typeof id === 'string' && id) await this.recorder.failure({ id }, this.hostname, error);
    await this.deadLetters
      .deadLetter(delivery, `malformed message: ${error.message}`)
      .catch((e: Error) => this.settleFailed(delivery, e));
  }

  private async requeueActive(reason: string): Promise<void> {
    const ids = await this.held.requeueActive(reason);
    if (ids.length)
      this.logger.warn(`Requeued ${ids.length} unfinished task(s) (${reason}): ${ids.join(', ')}`);
  }

  private settleFailed(delivery: GuardedDelivery, error: Error): void {
    this.logger.error(
      `Could not settle message ${delivery.deliveryTag}: ${error.message}. The broker will redeliver it.`,
    );
  }
}
