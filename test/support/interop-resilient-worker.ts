import 'reflect-metadata';
import type { DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TaskEvents } from 'celeriac';
import { parseInteropArgs } from '../../apps/interop/src/interop-args.js';
import { InteropModule } from '../../apps/interop/src/interop.module.js';
import { RedisBroker } from 'celeriac/redis';
import { parseRedisBrokerUrl } from '../../libs/task-queue/src/transports/redis/redis-url-options.js';

/** Root module: the interop app plus a provider printing task events from the first delivery. */
class ResilientWorkerModule {}

/**
 * The interop worker (same tasks and command line as apps/interop), for the resilience suites:
 * 1. kombu transport options in the broker URL's query (`?visibility_timeout=2`) are applied
 *    through parseRedisBrokerUrl, which broker.factory.ts does not call yet;
 * 2. every task event is printed as `EVENT <type> <task id>` so a test can count executions.
 *    The printer subscribes while the module is built, before the worker starts consuming.
 * Run with `node test/fixtures/transaction-run-ts.mjs test/support/interop-resilient-worker.ts
 * --broker URL --backend URL --queues Q --hostname NAME@%h [--concurrency N]`.
 */
export async function main(argv: string[]): Promise<void> {
  const options = parseInteropArgs(argv);
  if (typeof options.broker === 'string' && /^rediss?:/.test(options.broker)) {
    const parsed = parseRedisBrokerUrl(options.broker);
    options.broker = new RedisBroker(parsed.url, parsed.options);
  }
  const root: DynamicModule = {
    module: ResilientWorkerModule,
    imports: [InteropModule.forRoot(options)],
    providers: [
      {
        provide: 'INTEROP_EVENT_PRINTER',
        inject: [TaskEvents],
        useFactory: (events: TaskEvents) =>
          events.events$.subscribe((event) => {
            process.stdout.write(`EVENT ${event.type} ${event.taskId}\n`);
          }),
      },
    ],
  };
  const app = await NestFactory.createApplicationContext(root, {
    logger: ['log', 'warn', 'error'],
  });
  // Keep the Vite runner (and its module graph, needed by lazy imports) open until SIGTERM.
  await new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()));
  await app.close();
}
