import type { INestApplicationContext, ModuleMetadata, Provider } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import type { TaskQueueOptions } from '../config/task-queue-options.interface.js';
import type { Broker } from '../contracts/broker.interface.js';
import { TaskQueueModule } from '../task-queue.module.js';
import { NotificationsFixtureModule, OrdersFixtureModule } from './orders.fixture.js';

/** A Nest app with the fixture modules on private (or named) memory transports. */
export async function createApp(
  options: TaskQueueOptions = {},
  imports: ModuleMetadata['imports'] = [OrdersFixtureModule, NotificationsFixtureModule],
): Promise<INestApplicationContext> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      TaskQueueModule.forRoot({
        broker: `memory://${randomUUID()}`,
        ...options,
        worker: { banner: false, ...options.worker },
      }),
      ...(imports ?? []),
    ],
  }).compile();
  await moduleRef.init();
  return moduleRef;
}

/** A producer-only app (no worker, no result backend) sending through `broker`. */
export async function createProducerApp(
  broker: Broker,
  providers: Provider[],
  options: Partial<TaskQueueOptions> = {},
): Promise<INestApplicationContext> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      TaskQueueModule.forRoot({
        broker,
        resultBackend: false,
        worker: { enabled: false },
        ...options,
      }),
    ],
    providers,
  }).compile();
  await moduleRef.init();
  return moduleRef;
}
