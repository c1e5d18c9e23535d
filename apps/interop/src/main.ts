import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { handleShutdownSignals } from 'celeriac';
import { parseInteropArgs } from './interop-args.js';
import { InteropModule } from './interop.module.js';

/**
 * A Celeriac worker serving Python callers:
 * `npm run interop:worker -- --broker redis://127.0.0.1:6379/0 --backend redis://127.0.0.1:6379/1 --queues nodeq --hostname node1@%h`
 */
async function bootstrap(): Promise<void> {
  const options = parseInteropArgs(process.argv.slice(2));
  const app = NestFactory.createApplicationContext(InteropModule.forRoot(options), {
    logger: ['log', 'warn', 'error'],
  });
  handleShutdownSignals(app);
  await app;
}

void bootstrap();
