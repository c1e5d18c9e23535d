import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { type DynamicModule, type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Queue } from 'bullmq';
import { TaskClient, TaskQueueModule } from 'celeriac';
import type { Workload } from './ipc.js';
import { PYTHON, PYTHON_DIR } from './celery-worker.process.js';
import { redisConnection } from './redis-url.js';

/** Sends one task of its workload to the queue it was built for; resolves with its id. */
export interface Producer {
  send(): Promise<string>;
  close(): Promise<void>;
}

@Module({})
class BenchProducerModule {
  static forRoot(brokerUrl: string, queue: string): DynamicModule {
    return {
      module: BenchProducerModule,
      imports: [
        TaskQueueModule.forRoot({
          broker: brokerUrl,
          resultBackend: false,
          defaultQueue: queue,
          worker: { enabled: false, banner: false },
        }),
      ],
    };
  }
}

/**
 * Celeriac producer (`TaskClient.send('bench.noop')`, or `send('interop.add', [i, 1])` for
 * `add`); also feeds the Celery workers.
 */
export async function celeriacProducer(
  brokerUrl: string,
  queue: string,
  workload: Workload = 'noop',
): Promise<Producer> {
  const app: INestApplicationContext = await NestFactory.createApplicationContext(
    BenchProducerModule.forRoot(brokerUrl, queue),
    { logger: ['error', 'warn'] },
  );
  await app.init();
  const client = app.get(TaskClient);
  let i = 0;
  return {
    send:
      workload === 'add'
        ? async () => (await client.send('interop.add', [i++, 1], {}, { queue })).id
        : async () => (await client.send('bench.noop', [], {}, { queue })).id,
    close: () => app.close(),
  };
}

/**
 * BullMQ producer (`Queue.add`, default job options: completed jobs are kept); `add` jobs carry
 * `{x: i, y: 1}`.
 */
export async function bullmqProducer(
  redisUrl: string,
  queue: string,
  prefix: string,
  workload: Workload = 'noop',
): Promise<Producer> {
  const q = new Queue(queue, { connection: redisConnection(redisUrl), prefix });
  await q.waitUntilReady();
  let i = 0;
  return {
    send:
      workload === 'add'
        ? async () => String((await q.add('add', { x: i++, y: 1 })).id)
        : async () => String((await q.add('noop', {})).id),
    close: () => q.close(),
  };
}

/**
 * Pre-fill `queue` the way a Python service does: apps/bench/python/send_tasks.py sends `n`
 * `send_task('interop.add', args=[i, 1])` with Celery 5 (kombu's own envelopes and headers).
 */
export function pythonPrefill(brokerUrl: string, queue: string, n: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ['send_tasks.py', brokerUrl, queue, String(n)], {
      cwd: PYTHON_DIR,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, PYTHONWARNINGS: 'ignore' },
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`send_tasks.py exited with code ${code}`)),
    );
  });
}
