import type { DynamicModule, INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { BeatOptions } from '../beat/beat-options.js';
import { TaskQueueBeatModule } from '../task-queue-beat.module.js';
import { TaskQueueModule } from '../task-queue.module.js';
import { redisUrlOf } from '../transports/redis/redis-url.js';
import { UsageError } from './cli-error.js';

/** The beat flags shared by `celeriac beat` and `celeriac schedule`. */
export const BEAT_OPTIONS = {
  store: { type: 'string' },
  'key-prefix': { type: 'string' },
} as const;

export const BEAT_USAGE =
  '[--store URL] [--key-prefix P]  (store: redis://, postgres://...?schema=S; default: env ' +
  'CELERIAC_BEAT_STORE, else the broker)';

/**
 * A Nest application context with Celeriac (producer only, no worker, no events) and the beat
 * module: what the beat and schedule commands run on. `http` adds the health server
 * (`/health/live`, `/health/ready`) that a beat pod's probes call, and `/metrics` with the
 * beat's metrics when prom-client is installed.
 */
export async function createBeatApp(
  flags: { broker?: string; backend?: string; store?: string; 'key-prefix'?: string },
  beat: Omit<BeatOptions, 'store' | 'keyPrefix'>,
  logs: boolean,
  env: NodeJS.ProcessEnv = process.env,
  http?: { port: number; host: string },
): Promise<INestApplicationContext> {
  const broker = flags.broker ?? env.CELERIAC_BROKER;
  if (!broker) throw new UsageError('no broker: pass --broker URL or set CELERIAC_BROKER');
  const backend = flags.backend ?? env.CELERIAC_RESULT_BACKEND;
  const store = flags.store ?? env.CELERIAC_BEAT_STORE;
  // This process's memory is no store for a CLI: an edit there is lost at exit, and a beat
  // there sees no schedule that any other process wrote.
  const shared = store ?? redisUrlOf(broker, backend);
  if (!shared || shared.startsWith('memory:')) {
    const where = store
      ? `"${store}" is`
      : 'neither the broker nor the result backend is Redis, so the default store would be';
    throw new UsageError(
      `no shared schedule store: ${where} this process's memory, lost when it exits. Pass ` +
        '--store redis://... or postgres://... (or set CELERIAC_BEAT_STORE) naming the store ' +
        'your beats use',
    );
  }
  return NestFactory.createApplicationContext(
    {
      module: class CeleriacBeatCli {},
      imports: [
        TaskQueueModule.forRoot({
          broker,
          resultBackend: backend ?? false,
          worker: { enabled: false, banner: false, ...(http && { http }) },
          events: { enabled: false },
        }),
        TaskQueueBeatModule.forRoot({
          ...beat,
          ...(store ? { store } : {}),
          ...(flags['key-prefix'] ? { keyPrefix: flags['key-prefix'] } : {}),
        }),
        ...(http ? await beatMetrics() : []),
      ],
    },
    { logger: logs ? ['log', 'warn', 'error'] : false, abortOnError: false },
  );
}

/** The metrics module (beat metrics and the fires sent) when prom-client can be loaded. */
async function beatMetrics(): Promise<DynamicModule[]> {
  try {
    await import('prom-client');
  } catch {
    return [];
  }
  const { TaskQueueMetricsModule } =
    await import('../observability/metrics/task-queue-metrics.module.js');
  return [TaskQueueMetricsModule.forRoot({ path: false, queues: [] })];
}
