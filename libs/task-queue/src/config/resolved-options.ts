import type { ResolvedCeleryEventsOptions } from './events-options.js';
import type { TracingOptions } from '../observability/tracing/tracing.options.js';
import type { TaskInstrumentation } from '../tasks/task-instrumentation.js';
import type { Broker } from '../contracts/broker.interface.js';
import type { ResultBackend } from '../contracts/result-backend.interface.js';
import type { PoolKind, TaskOptions } from '../contracts/task-options.interface.js';
import type {
  IsolatePoolOptions,
  TaskRoute,
  TypeOrmIntegrationOptions,
  WorkerHttpOptions,
} from './task-queue-options.interface.js';

/** Module options after validation, with every default filled in. */
export interface ResolvedTaskQueueOptions {
  broker: string | Broker;
  resultBackend: string | ResultBackend | false;
  defaultQueue: string;
  routes: Array<{ pattern: string; matcher: RegExp; route: TaskRoute }>;
  worker: {
    enabled: boolean;
    queues: string[];
    concurrency: number;
    prefetch: number;
    hostname: string;
    shutdownTimeout: number;
    banner: boolean;
    /** Consume `<hostname>.dq2` too (Celery's `worker_direct`). */
    direct: boolean;
    /** The worker's health / metrics HTTP server, or null for none. */
    http: Required<WorkerHttpOptions> | null;
    pool: PoolKind;
    isolates: ResolvedIsolateOptions | undefined;
  };
  taskDefaults: TaskOptions;
  resultExpires: number;
  resultExtended: boolean;
  typeorm: TypeOrmIntegrationOptions | undefined;
  events: ResolvedCeleryEventsOptions;
  /** OpenTelemetry tracing options, or false when off. */
  tracing: TracingOptions | false;
  /** An instrumentation of the app's own, if given. */
  instrumentation: TaskInstrumentation | undefined;
}

/** `worker.isolates` with its defaults. */
export type ResolvedIsolateOptions = Required<
  Omit<IsolatePoolOptions, 'maxTasksPerChild' | 'maxMemoryPerChild' | 'maxHeapMb'>
> &
  Pick<IsolatePoolOptions, 'maxTasksPerChild' | 'maxMemoryPerChild' | 'maxHeapMb'>;
