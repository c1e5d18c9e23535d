import type { INestApplication } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import { TaskClient } from 'celeriac';
import { OrdersService } from './orders/orders.service.js';
import { OrderTasks } from './orders/order.tasks.js';

const SAMPLES = [
  {
    customerEmail: 'ada@example.com',
    lines: [{ sku: 'CELERIAC-1KG', quantity: 2, unitPriceCents: 349 }],
  },
  {
    customerEmail: 'grace@example.com',
    lines: [
      { sku: 'LEEK', quantity: 3, unitPriceCents: 120 },
      { sku: 'POTATO-5KG', quantity: 1, unitPriceCents: 599 },
    ],
  },
  {
    customerEmail: 'alan@example.com',
    lines: [{ sku: 'PARSNIP', quantity: 6, unitPriceCents: 89 }],
  },
];

/** Place a few orders through the same service the HTTP API uses and log their receipts. */
export async function placeSampleOrders(app: INestApplication): Promise<void> {
  const logger = new Logger('Demo');
  const orders = app.get(OrdersService);
  const process = app.get(TaskClient).get(OrderTasks, 'process');
  for (const sample of SAMPLES) {
    const order = await orders.create(sample);
    const receipt = await process.result(order.taskId!).get({ timeout: 30_000 });
    logger.log(`Sample order ${order.id} processed: ${JSON.stringify(receipt)}`);
  }
}
