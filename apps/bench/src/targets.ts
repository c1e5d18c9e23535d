import type { BenchEnv } from './bench-env.js';
import { CeleryWorkerProcess } from './celery-worker.process.js';
import { type NodeWorkerOptions, NodeWorkerProcess } from './node-worker.process.js';
import type { Workload } from './ipc.js';
import { bullmqProducer, celeriacProducer, type Producer } from './producers.js';
import type { WorkerHandle } from './worker-handle.js';

/**
 * `celeriac`, `bullmq`, `celery`: the no-op workload. `*-add`: the realistic one (see
 * {@link Workload}); `celeriac-add-E` sends Celery task events (Celery's `-E`); `celeriac-add-T`
 * traces every attempt with OpenTelemetry (100 % sampled, batch processor); `celeriac-add-M`
 * has Prometheus metrics on, scraped every second.
 */
export type SystemName =
  | 'celeriac'
  | 'bullmq'
  | 'celery'
  | 'celeriac-add'
  | 'celeriac-add-E'
  | 'celeriac-add-T'
  | 'celeriac-add-M'
  | 'bullmq-add'
  | 'celery-add';
export const ALL_SYSTEMS: SystemName[] = [
  'celeriac',
  'bullmq',
  'celery',
  'celeriac-add',
  'celeriac-add-E',
  'celeriac-add-T',
  'celeriac-add-M',
  'bullmq-add',
  'celery-add',
];
export type BrokerName = 'redis' | 'amqp';
/**
 * `drain-py`: drain of a queue pre-filled by Python Celery's `send_task`; `e2e-py`: end to end
 * with messages exactly as Python writes them, sent by the bench (python-wire.producer.ts).
 * Both on the realistic systems.
 */
export type ScenarioName = 'e2e' | 'enqueue' | 'drain' | 'latency' | 'drain-py' | 'e2e-py';
export const ALL_SCENARIOS: ScenarioName[] = [
  'e2e',
  'enqueue',
  'drain',
  'latency',
  'drain-py',
  'e2e-py',
];

/** Worker concurrency of the Node workers (BullMQ's figure in the issue). */
export const NODE_CONCURRENCY = 50;

/** One system on one broker, and how to build its producer and its worker process. */
export interface Target {
  system: SystemName;
  broker: BrokerName;
  /** Scenarios this target takes part in. */
  scenarios: ScenarioName[];
  /** Whether the worker must be running before the queue is pre-filled (drain). */
  workerBeforePrefill: boolean;
  /** Broker URL (drain-py pre-fills it with Python). */
  brokerUrl: string;
  producer(queue: string): Promise<Producer>;
  worker(queue: string, label: string): Promise<WorkerHandle>;
}

/**
 * Options that shape the targets: `nodeOptions` go to every Node worker child, Celeriac and
 * BullMQ alike; `cpuProfDir` profiles the Celeriac ones.
 */
export type TargetOptions = NodeWorkerOptions;

/** Every target available in `env`, Celery ones only when `celery` is true. */
export function buildTargets(env: BenchEnv, celery: boolean, options: TargetOptions): Target[] {
  const prefix = `bull-${env.runId}`;
  const nodeConfig = (
    broker: string,
    backend: string | null,
    queue: string,
    workload: Workload,
    taskEvents = false,
    tracing = false,
    metrics = false,
  ) => ({
    brokerUrl: broker,
    backendUrl: backend,
    queue,
    concurrency: NODE_CONCURRENCY,
    prefix,
    workload,
    taskEvents,
    tracing,
    metrics,
  });
  const celeryWorker =
    (broker: string, backend: string | null, extended: boolean) => async (q: string, l: string) =>
      CeleryWorkerProcess.spawn(
        {
          brokerUrl: broker,
          backendUrl: backend,
          queue: q,
          counterUrl: env.redisUrl,
          counterKey: `celery-counters-${q}`,
          extended,
        },
        l,
      );
  const celeriac = (
    broker: BrokerName,
    url: string,
    backend: string | null,
    workload: Workload,
    scenarios: ScenarioName[],
    system: SystemName,
    taskEvents = false,
    tracing = false,
    metrics = false,
  ): Target => ({
    system,
    broker,
    scenarios,
    workerBeforePrefill: true,
    brokerUrl: url,
    producer: (q) => celeriacProducer(url, q, workload),
    worker: (q, l) =>
      NodeWorkerProcess.spawn(
        'celeriac',
        nodeConfig(url, backend, q, workload, taskEvents, tracing, metrics),
        l,
        options,
      ),
  });
  const bullmq = (workload: Workload, scenarios: ScenarioName[], system: SystemName): Target => ({
    system,
    broker: 'redis',
    scenarios,
    workerBeforePrefill: true,
    brokerUrl: env.redisUrl,
    producer: (q) => bullmqProducer(env.redisUrl, q, prefix, workload),
    worker: (q, l) =>
      NodeWorkerProcess.spawn('bullmq', nodeConfig(env.redisUrl, null, q, workload), l, {
        nodeOptions: options.nodeOptions,
      }),
  });
  const celeryTarget = (
    broker: BrokerName,
    url: string,
    backend: string | null,
    workload: Workload,
    scenarios: ScenarioName[],
    system: SystemName,
  ): Target => ({
    system,
    broker,
    scenarios,
    workerBeforePrefill: false,
    brokerUrl: url,
    producer: (q) => celeriacProducer(url, q, workload),
    worker: celeryWorker(url, backend, workload === 'add'),
  });
  const redis = env.redisUrl;
  const noop: ScenarioName[] = ['e2e', 'enqueue', 'drain', 'latency'];
  const targets: Target[] = [
    celeriac('redis', redis, redis, 'noop', noop, 'celeriac'),
    bullmq('noop', noop, 'bullmq'),
  ];
  if (celery) targets.push(celeryTarget('redis', redis, redis, 'noop', ['e2e', 'drain'], 'celery'));
  // The realistic workload: results stored (extended) in Redis on both brokers.
  const realistic = (broker: BrokerName, url: string): Target[] => [
    celeriac(
      broker,
      url,
      redis,
      'add',
      ['e2e', 'drain', 'drain-py', 'e2e-py', 'latency'],
      'celeriac-add',
    ),
    celeriac(broker, url, redis, 'add', ['e2e', 'drain-py', 'e2e-py'], 'celeriac-add-E', true),
    celeriac(broker, url, redis, 'add', ['drain', 'drain-py'], 'celeriac-add-T', false, true),
    celeriac(broker, url, redis, 'add', ['drain'], 'celeriac-add-M', false, false, true),
    ...(celery
      ? [celeryTarget(broker, url, redis, 'add', ['e2e', 'drain-py', 'e2e-py'], 'celery-add')]
      : []),
  ];
  targets.push(...realistic('redis', redis), bullmq('add', ['e2e', 'drain'], 'bullmq-add'));
  const amqp = env.amqpUrl;
  if (amqp) {
    targets.push(celeriac('amqp', amqp, null, 'noop', noop, 'celeriac'));
    if (celery) targets.push(celeryTarget('amqp', amqp, null, 'noop', ['e2e', 'drain'], 'celery'));
    targets.push(...realistic('amqp', amqp));
  }
  return targets;
}
