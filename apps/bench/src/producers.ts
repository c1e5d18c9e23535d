import 'reflect-metadata';
import { type DynamicModule, type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Queue } from 'bullmq';
import { TaskClient, TaskQueueModule } from 'celeriac';
import { redisConnection } from './redis-url.js';

/** Sends one no-op task to the queue it was built for; resolves with its id. */
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

/** Celeriac producer (`TaskClient.send('bench.noop')`); also feeds the Celery workers. */
export async function celeriacProducer(brokerUrl: string, queue: string): Promise<Producer> {
  const app: INestApplicationContext = await NestFactory.createApplicationContext(
    BenchProducerModule.forRoot(brokerUrl, queue),
    { logger: ['error', 'warn'] },
  );
  await app.init();
  const client = app.get(TaskClient);
  return {
    send: async () => (await client.send('bench.noop', [], {}, { queue })).id,
    close: () => app.close(),
  };
}

/** BullMQ producer (`Queue.add`, default job options: completed jobs are kept). */
export async function bullmqProducer(
  redisUrl: string,
  queue: string,
  prefix: string,
): Promise<Producer> {
  const q = new Queue(queue, { connection: redisConnection(redisUrl), prefix });
  await q.waitUntilReady();
  return {
    send: async () => String((await q.add('noop', {})).id),
    close: () => q.close(),
  };
}
