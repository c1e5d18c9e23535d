import 'reflect-metadata';
import { ConsoleLogger, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { handleShutdownSignals } from 'celeriac';
import { describeEnvironment, variablesReadBy } from './environment.js';
import { WorkerModule } from './worker.module.js';

/**
 * A worker-only process: `CELERIAC_BROKER=redis://127.0.0.1:6379/0 npm run start:worker`.
 * It runs until told to stop. SIGTERM / SIGINT drains in-flight tasks (shutdownTimeout),
 * requeues the rest and exits 0; a second signal requeues everything and exits 1.
 */
async function bootstrap(): Promise<void> {
  // CELERIAC_LOG_FORMAT=json: one JSON object per line; task lines carry taskId, taskName, queue.
  const logger =
    process.env.CELERIAC_LOG_FORMAT === 'json'
      ? new ConsoleLogger({ json: true, flattenParams: true })
      : undefined;
  if (logger) Logger.overrideLogger(logger);
  new Logger('Worker').log(describeEnvironment(variablesReadBy('worker')));
  // Signals are handled from the start: the worker consumes while the context still boots.
  const app = NestFactory.createApplicationContext(WorkerModule, logger && { logger });
  handleShutdownSignals(app);
  await app;
}

void bootstrap();
