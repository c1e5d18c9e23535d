import type { INestApplicationContext, ModuleMetadata } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import type { TaskQueueOptions } from '../config/task-queue-options.interface.js';
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
