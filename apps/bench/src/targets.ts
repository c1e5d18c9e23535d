import type { BenchEnv } from './bench-env.js';
import { CeleryWorkerProcess } from './celery-worker.process.js';
import { type NodeWorkerOptions, NodeWorkerProcess } from './node-worker.process.js';
import { bullmqProducer, celeriacProducer, type Producer } from './producers.js';
import type { WorkerHandle } from './worker-handle.js';

export type SystemName = 'celeriac' | 'bullmq' | 'celery';
export type BrokerName = 'redis' | 'amqp';
export type ScenarioName = 'e2e' | 'enqueue' | 'drain' | 'latency';
export const ALL_SCENARIOS: ScenarioName[] = ['e2e', 'enqueue', 'drain', 'latency'];

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
  const nodeConfig = (broker: string, backend: string | null, queue: string) => ({
    brokerUrl: broker,
    backendUrl: backend,
    queue,
    concurrency: NODE_CONCURRENCY,
    prefix,
  });
  const celeryWorker = (broker: string, backend: string | null) => async (q: string, l: string) =>
    CeleryWorkerProcess.spawn(
      {
        brokerUrl: broker,
        backendUrl: backend,
        queue: q,
        counterUrl: env.redisUrl,
        counterKey: `celery-counters-${q}`,
      },
      l,
    );
  const targets: Target[] = [
    {
      system: 'celeriac',
      broker: 'redis',
      scenarios: ALL_SCENARIOS,
      workerBeforePrefill: true,
      producer: (q) => celeriacProducer(env.redisUrl, q),
      worker: (q, l) =>
        NodeWorkerProcess.spawn('celeriac', nodeConfig(env.redisUrl, env.redisUrl, q), l, options),
    },
    {
      system: 'bullmq',
      broker: 'redis',
      scenarios: ALL_SCENARIOS,
      workerBeforePrefill: true,
      producer: (q) => bullmqProducer(env.redisUrl, q, prefix),
      worker: (q, l) =>
        NodeWorkerProcess.spawn('bullmq', nodeConfig(env.redisUrl, null, q), l, {
          nodeOptions: options.nodeOptions,
        }),
    },
  ];
  if (celery) {
    targets.push({
      system: 'celery',
      broker: 'redis',
      scenarios: ['e2e', 'drain'],
      workerBeforePrefill: false,
      producer: (q) => celeriacProducer(env.redisUrl, q),
      worker: celeryWorker(env.redisUrl, env.redisUrl),
    });
  }
  const amqp = env.amqpUrl;
  if (amqp) {
    targets.push({
      system: 'celeriac',
      broker: 'amqp',
      scenarios: ALL_SCENARIOS,
      workerBeforePrefill: true,
      producer: (q) => celeriacProducer(amqp, q),
      worker: (q, l) => NodeWorkerProcess.spawn('celeriac', nodeConfig(amqp, null, q), l, options),
    });
    if (celery) {
      targets.push({
        system: 'celery',
        broker: 'amqp',
        scenarios: ['e2e', 'drain'],
        workerBeforePrefill: false,
        producer: (q) => celeriacProducer(amqp, q),
        worker: celeryWorker(amqp, null),
      });
    }
  }
  return targets;
}
