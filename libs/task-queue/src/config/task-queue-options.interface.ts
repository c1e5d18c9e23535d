import type { DataSource } from '../contracts/typeorm-peer.types.js';
import type { OutboxRelayOptions } from '../transaction/outbox/outbox.relay.js';
import type { CeleryEventsOptions } from './events-options.js';
import type { TracingOptions } from '../observability/tracing/tracing.options.js';
import type { TaskInstrumentation } from '../tasks/task-instrumentation.js';
import type { Broker } from '../contracts/broker.interface.js';
import type { ResultBackend } from '../contracts/result-backend.interface.js';
import type { PoolKind, TaskOptions } from '../contracts/task-options.interface.js';

/**
 * Where a task name goes: a glob (`orders.*`, `*.send_email`) to a queue and/or priority, or to
 * a direct exchange with a routing key (Celery's `task_routes` entry `{'exchange': 'x',
 * 'routing_key': 'rk'}`, with or without a queue).
 */
export interface TaskRoute {
  queue?: string;
  priority?: number;
  /**
   * Publish to this direct exchange with `routingKey` instead of to the queue (both or
   * neither). RabbitMQ routes by the exchange's bindings; on Redis, kombu's binding table
   * (`_kombu.binding.<exchange>`) does. The queue (or `defaultQueue`) is declared too, as
   * Celery declares the queue it routed to. Not with the transactional outbox.
   */
  exchange?: string;
  routingKey?: string;
}

/** Worker settings. */
export interface WorkerOptions {
  /** Consume in this process (default true). API pods run producer-only with `false`. */
  enabled?: boolean | undefined;
  /** Queues to consume; default: `[defaultQueue]`. */
  queues?: string[] | undefined;
  /** Tasks run at once (default 10). */
  concurrency?: number | undefined;
  /**
   * Messages reserved per concurrency slot (Celery's `worker_prefetch_multiplier`, default 4):
   * at most `concurrency * prefetch` unacked messages are held.
   */
  prefetch?: number | undefined;
  /** Celery node name `name@host`; `%h` is the host name, `%n` the short host, `%d` the domain. Default `celeriac@%h`. */
  hostname?: string | undefined;
  /** Milliseconds in-flight tasks get to finish on shutdown before they are requeued (default 30 000). */
  shutdownTimeout?: number | undefined;
  /**
   * Also consume `<hostname>.dq2`, bound to the direct exchange `C.dq2` with the worker's
   * hostname as key (Celery's `worker_direct`), so a Python `apply_async(queue=
   * worker_direct('<hostname>'))` reaches this worker only. Default false, as in Celery.
   */
  direct?: boolean | undefined;
  /** Log a start-up banner (default true). */
  banner?: boolean | undefined;
  /**
   * Serve `/health/live`, `/health/ready` and (with `TaskQueueMetricsModule` from
   * `celeriac/prometheus`) `/metrics` on a small HTTP server of this process: for worker-only
   * processes that have no HTTP server of their own. Off by default. See
   * docs/metrics-and-health.md.
   */
  http?: WorkerHttpOptions | undefined;
  /**
   * Where handlers run unless their `@Task({ pool })` says otherwise (Celery's `--pool`):
   * `inline` (default: the event loop), `threads` or `processes` (isolates, see `isolates`).
   */
  pool?: PoolKind | undefined;
  /** The isolates of the `threads` and `processes` pools (docs/pools.md). */
  isolates?: IsolatePoolOptions | undefined;
}

/** `worker.http`: where the health and metrics server listens. @publicApi */
export interface WorkerHttpOptions {
  /** TCP port; 0 picks a free one. */
  port: number;
  /** Interface to bind; default `0.0.0.0` (all, for Kubernetes probes). */
  host?: string;
}

/**
 * Isolate pools: each isolate (a worker thread or a child process) boots a Nest application
 * context from `module` once, stays warm, and runs `@Task()` handlers with their injected
 * dependencies. @publicApi
 */
export interface IsolatePoolOptions {
  /**
   * The compiled JavaScript file (absolute path or `file:` URL) that exports the Nest module
   * each isolate boots: the worker's own module or a slimmer one with the task providers. A
   * thread or process loads code from a file, not from a class reference.
   */
  module: string;
  /** The export of that file holding the module class (default `default`). */
  export?: string;
  /** Isolates serving tasks, per pool kind (default 2). */
  size?: number;
  /** Booted isolates kept ready to replace one that dies or is recycled (default 1). */
  spare?: number;
  /**
   * Tasks sent to one isolate at once (default 1: one task per isolate, as Celery's prefork).
   * More keeps isolates busy with async handlers and batches messages; a hard time limit or
   * crash then also stops the other tasks on that isolate (WorkerLostError).
   */
  inFlight?: number;
  /** Replace an isolate after it ran this many tasks (Celery's `worker_max_tasks_per_child`). */
  maxTasksPerChild?: number;
  /**
   * Replace an isolate, between tasks, once its memory is above this many KiB (Celery's
   * `worker_max_memory_per_child`): the V8 heap of a thread, the RSS of a process.
   */
  maxMemoryPerChild?: number;
  /** Hard V8 old-space cap of an isolate in MB: above it the isolate dies, its task is lost. */
  maxHeapMb?: number;
  /** Milliseconds an isolate may take to boot its Nest context (default 60 000). */
  bootTimeout?: number;
}

/** TypeORM integration: `delayOnCommit`, the outbox and the `typeorm` result backend. */
export interface TypeOrmIntegrationOptions {
  /** The application's DataSource (inject it through `forRootAsync`). */
  dataSource: DataSource;
  /**
   * How `delayOnCommit()` publishes: `after-commit` (default: publish once the transaction
   * commits, retried with backoff; lost if the process dies in between) or `outbox` (written
   * to `task_outbox` in the same transaction and relayed: survives crashes and broker outages).
   */
  dispatch?: 'after-commit' | 'outbox';
  /** `onCommit()` / `delayOnCommit()` outside a transaction throw instead of running now. */
  strict?: boolean;
  /**
   * Outbox relay in worker processes: options (`pollIntervalMs`: longest idle sleep between
   * rounds, default 2 000; `batchSize`, `leaseMs`, `listen`), or false to not run one here.
   * Default: on when `dispatch: 'outbox'` and the worker is enabled.
   */
  relay?: boolean | OutboxRelayOptions;
  /** Outbox writer (`dispatch: 'outbox'`). */
  outbox?: TypeOrmOutboxOptions;
  /** The `typeorm` result backend (`resultBackend: 'typeorm'`). */
  results?: TypeOrmResultsOptions;
}

/** `typeorm.outbox` options. @publicApi */
export interface TypeOrmOutboxOptions {
  /**
   * Milliseconds the relay leaves a fresh row to the in-process fast path before taking it
   * (default 5 000). Lower: faster recovery after a crash; too low: relay and fast path race
   * for rows (harmless, the lease decides, but wasted queries).
   */
  graceMs?: number;
  /** Milliseconds a claim (lease) lasts before another publisher may retake the row (default 30 000). */
  leaseMs?: number;
  /**
   * PostgreSQL: NOTIFY relays when the transaction commits. Default false: the in-process fast
   * path publishes the row, and relays would find nothing due before the grace period.
   */
  notify?: boolean;
}

/** `typeorm.results` options. @publicApi */
export interface TypeOrmResultsOptions {
  /** Delete expired results this often, in ms (default 3 600 000; 0 disables). */
  cleanupIntervalMs?: number;
  /** Poll interval of result waiters, in ms (default 500; on PostgreSQL ×10, NOTIFY wakes them). */
  pollIntervalMs?: number;
}

/**
 * Options of `TaskQueueModule.forRoot()`. An option given as `undefined` (an unset environment
 * variable, with `exactOptionalPropertyTypes`) takes its default.
 * @publicApi
 */
export interface TaskQueueOptions {
  /** Broker URL (`memory://`, `redis://host:6379/0`, `amqp://guest:guest@host//`) or an instance. Default `memory://`. */
  broker?: string | Broker | undefined;
  /** Result backend URL (`memory://`, `redis://...`), an instance, or `false` for none. Default `memory://`. */
  resultBackend?: string | ResultBackend | false | undefined;
  /** Queue for tasks with no route or queue option. Celery's default: `celery`. */
  defaultQueue?: string | undefined;
  /** Task-name globs to queue / priority, checked in order; the first match wins. */
  routes?: Record<string, TaskRoute> | undefined;
  /** Worker settings. */
  worker?: WorkerOptions | undefined;
  /** Defaults for every task's options. */
  taskDefaults?: TaskOptions | undefined;
  /** Result expiry in seconds (Celery `result_expires`, default 86 400). */
  resultExpires?: number | undefined;
  /** Store name, args, kwargs, worker and retries with results (Celery `result_extended`). Default true. */
  resultExtended?: boolean | undefined;
  /** TypeORM integration (transactions, outbox, database result backend). */
  typeorm?: TypeOrmIntegrationOptions | undefined;
  /** Celery events: worker-online / heartbeat / offline (default on, every 2 s); task-* only with `taskEvents` (default off, as Celery without `-E`). */
  events?: CeleryEventsOptions | undefined;
  /**
   * OpenTelemetry tracing (`true` or options): a `send` span per publish, a `process` span per
   * attempt, context in the `traceparent` / `tracestate` message headers. Needs an SDK
   * registered by the app; off by default. See docs/tracing.md.
   */
  tracing?: boolean | TracingOptions | undefined;
  /** Your own TaskInstrumentation (wraps every publish and attempt); not with `tracing`. */
  instrumentation?: TaskInstrumentation | undefined;
}
