import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { WorkerModule } from './worker.module.js';

/**
 * A worker-only process: `CELERIAC_BROKER=redis://127.0.0.1:6379/0 npm run start:worker`.
 * SIGTERM drains in-flight tasks (shutdownTimeout) and requeues the rest; a second one exits at once.
 */
async function bootstrap(): Promise<void> {
  const app = await NestFactory.createApplicationContext(WorkerModule);
  app.enableShutdownHooks();
}

void bootstrap();
