import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  Optional,
} from '@nestjs/common';
import type { ResolvedTaskQueueOptions } from '../config/resolved-options.js';
import { TaskQueueError } from '../errors/task-queue.error.js';
import { TaskRegistry } from '../tasks/task.registry.js';
import type { Broker } from '../contracts/broker.interface.js';
import { QueueConsumers, type QueueCancelOutcome } from './queue-consumers.js';
import { expandNodename } from '../utils/nodename.js';
import { withWorkerDirect } from './worker-direct.js';
import {
  getBrokerToken,
  getRateLimitStoreFactoryToken,
  getTaskQueueConfigToken,
} from '../utils/tokens.js';
import type { RateLimitStoreFactory } from '../contracts/rate-limit-store.interface.js';
import { DeadLetters } from './dead-letters.js';
import { ResultRecorder } from './result-recorder.js';
import { RevokedTasks } from '../revocation/revoked-tasks.js';
import { TaskAdmission } from './task-admission.js';
import { TaskEvents } from '../tasks/task-events.js';
import { TaskExecutor } from './task-executor.js';
import { TaskPools } from './pool/task-pools.js';
import { WORKER_START_SYNC, type WorkerStartSync } from './worker-start-sync.js';
import { workerBanner } from './worker-banner.js';
import { TaskRouter } from '../producer/task.router.js';
import { TransportConnections } from '../task-queue.connections.js';
import type { WorkerHoldings } from './worker-holdings.js';
import { WorkerIntake } from './worker-intake.js';
import { Subject, type Observable } from 'rxjs';
import { isRateLimited } from './rate-limiter.js';
import { guardStrayRejections } from './stray-rejections.js';
import { watchUncaughtExceptions } from './uncaught-exceptions.js';

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
  private readonly consumers: QueueConsumers;
  private state: 'idle' | 'running' | 'stopping' | 'stopped' = 'idle';
  private readonly intake: WorkerIntake;
  private readonly held: WorkerHoldings;
  private admission?: TaskAdmission;
  private shutdownBegun = false;
  /** Releases the process-wide guard against unhandled rejections (taken while consuming). */
  private releaseRejectionGuard?: () => void;

  constructor(
    @Inject(getTaskQueueConfigToken()) private readonly config: ResolvedTaskQueueOptions,
    @Inject(getBrokerToken()) private readonly broker: Broker,
    private readonly registry: TaskRegistry,
    executor: TaskExecutor,
    events: TaskEvents,
    recorder: ResultRecorder,
    deadLetters: DeadLetters,
    private readonly connections: TransportConnections,
    private readonly revoked: RevokedTasks,
    @Inject(getRateLimitStoreFactoryToken())
    private readonly openRateLimitStore: RateLimitStoreFactory,
    private readonly pools: TaskPools,
    @Optional() @Inject(WORKER_START_SYNC) private readonly startSync?: WorkerStartSync,
  ) {
    this.hostname = expandNodename(config.worker.hostname);
    this.intake = new WorkerIntake({
      config,
      executor,
      events,
      recorder,
      deadLetters,
      hostname: this.hostname,
    });
    this.held = this.intake.held;
    this.consumers = new QueueConsumers((queues) =>
      this.broker.consume(queues, this.intake.onDelivery, {
        prefetch: config.worker.concurrency * config.worker.prefetch,
      }),
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.worker.enabled) await this.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.beginShutdown();
    await this.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    this.releaseRejectionGuard?.();
    this.releaseRejectionGuard = undefined;
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

  /**
   * Why the worker receives nothing although it runs (RabbitMQ refuses to let a consumer
   * subscribe again after a channel loss), or undefined.
   */
  get consumerStalled(): string | undefined {
    return this.running ? this.consumers.stalled() : undefined;
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
    this.admission ??= new TaskAdmission(
      this.registry,
      await this.openRateLimitStore(
        this.registry
          .all()
          .filter((t) => isRateLimited(t.options.globalRateLimit))
          .map((t) => t.name),
      ),
    );
    await this.revoked.follow();
    await this.startSync?.run(this.hostname);
    // Isolates boot before the first message is taken (a cold Nest context takes a second).
    await this.pools.start();
    this.state = 'running';
    if (!this.releaseRejectionGuard) {
      const releaseRejections = guardStrayRejections(this.logger);
      const releaseExceptions = watchUncaughtExceptions(this.logger);
      this.releaseRejectionGuard = () => {
        releaseRejections();
        releaseExceptions();
      };
    }
    this.intake.open(this.admission);
    queues = await withWorkerDirect(this.broker, this.config.worker.direct, this.hostname, queues);
    await this.consumers.start(queues);
    if (this.config.worker.banner) {
      const router = new TaskRouter(this.config);
      this.logger.log(
        workerBanner(this.config, {
          hostname: this.hostname,
          broker: this.connections.brokerDescription,
          backend: this.connections.backendDescription,
          tasks: this.registry.names().map((name) => ({
            name,
            queue: router.route(name, this.registry.get(name)?.options ?? {}, {}).queue,
          })),
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
    this.intake.close();
    try {
      await this.consumers
        .cancelAll()
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
      this.intake.close();
      await this.consumers.cancelAll().catch(() => undefined);
    }
    await Promise.all([this.held.requeueWaiting(), this.requeueActive(reason)]);
    // Requeued first, so what the isolates' tasks end with is not recorded.
    this.pools.kill();
    await this.connections.close();
  }

  /** The queues consumed now: the configured ones, then those added by `add_consumer`. */
  get queues(): string[] {
    return this.consumers.queues;
  }

  /**
   * Celery's `add_consumer`: consume `queue` too, until the worker stops or `cancel_consumer`.
   * False when it is consumed already.
   */
  async addQueue(queue: string): Promise<boolean> {
    if (this.state !== 'running') {
      throw new TaskQueueError(`the worker is not consuming (${this.state})`);
    }
    const added = await this.consumers.add(queue);
    if (added) this.logger.log(`Started consuming from ${queue} (remote control).`);
    return added;
  }

  /** Celery's `cancel_consumer`: stop consuming a queue added by {@link addQueue}. */
  async cancelQueue(queue: string): Promise<QueueCancelOutcome> {
    const outcome = await this.consumers.cancel(queue);
    if (outcome === 'cancelled')
      this.logger.log(`Stopped consuming from ${queue} (remote control).`);
    return outcome;
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

  private async requeueActive(reason: string): Promise<void> {
    const ids = await this.held.requeueActive(reason);
    if (ids.length)
      this.logger.warn(`Requeued ${ids.length} unfinished task(s) (${reason}): ${ids.join(', ')}`);
  }
}
