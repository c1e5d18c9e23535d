import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { placeSampleOrders } from './sample-orders.js';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule);
  app.enableShutdownHooks();
  const port = Number(process.env.PORT ?? 3000);
  await app.listen(port, '127.0.0.1');
  const logger = new Logger('Demo');
  logger.log(`Celeriac demo listening on http://127.0.0.1:${port} (POST /orders, GET /orders/:id)`);
  if (process.env.DEMO_SAMPLES !== '0' && process.env.CELERIAC_WORKER !== '0') {
    await placeSampleOrders(app);
    logger.log('Sample orders done; still serving. Ctrl+C stops gracefully.');
  }
}

void bootstrap();
