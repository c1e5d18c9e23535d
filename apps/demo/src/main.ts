import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { handleShutdownSignals } from 'celeriac';
import { AppModule, DASHBOARD_TOKENS } from './app.module.js';
import { describeEnvironment, variablesReadBy } from './environment.js';
import { placeSampleOrders } from './sample-orders.js';

async function bootstrap(): Promise<void> {
  const logger = new Logger('Demo');
  logger.log(describeEnvironment(variablesReadBy('demo')));
  // Signals are handled while Nest boots too (a worker-enabled demo consumes during boot).
  const booting = NestFactory.create(AppModule);
  handleShutdownSignals(booting);
  const app = await booting;
  const port = Number(process.env.PORT ?? 3000);
  const host = process.env.HOST ?? '127.0.0.1';
  await app.listen(port, host);
  logger.log(`Celeriac demo listening on http://${host}:${port} (POST /orders, GET /orders/:id)`);
  const token = DASHBOARD_TOKENS.generated ? ` with the token ${DASHBOARD_TOKENS.admin}` : '';
  logger.log(
    `Dashboard: http://${host}:${port}/celeriac (Authorization: Bearer <DASHBOARD_TOKEN> or the ` +
      `celeriac_dashboard cookie${token})`,
  );
  if (process.env.DEMO_SAMPLES !== '0' && process.env.CELERIAC_WORKER !== '0') {
    await placeSampleOrders(app);
    logger.log('Sample orders done; still serving. Ctrl+C stops gracefully.');
  }
}

void bootstrap();
