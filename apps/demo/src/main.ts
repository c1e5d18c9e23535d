import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { handleShutdownSignals } from 'celeriac';
import { AppModule } from './app.module.js';
import { DEMO_ENVIRONMENT, describeEnvironment, type DemoVariable } from './environment.js';
import { placeSampleOrders } from './sample-orders.js';

async function bootstrap(): Promise<void> {
  const logger = new Logger('Demo');
  logger.log(describeEnvironment(Object.keys(DEMO_ENVIRONMENT) as DemoVariable[]));
  const app = await NestFactory.create(AppModule);
  handleShutdownSignals(app);
  const port = Number(process.env.PORT ?? 3000);
  await app.listen(port, '127.0.0.1');
  logger.log(`Celeriac demo listening on http://127.0.0.1:${port} (POST /orders, GET /orders/:id)`);
  if (process.env.DEMO_SAMPLES !== '0' && process.env.CELERIAC_WORKER !== '0') {
    await placeSampleOrders(app);
    logger.log('Sample orders done; still serving. Ctrl+C stops gracefully.');
  }
}

void bootstrap();
