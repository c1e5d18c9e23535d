import type { INestApplication } from '@nestjs/common';
import { TaskQueueDashboardModule, type TaskQueueDashboardOptions } from '@celeriac/dashboard';
import { randomUUID } from 'node:crypto';
import { TaskQueueBeatModule } from 'celeriac';
import {
  DashboardTokenGuard,
  readOnlyUnlessAdmin,
} from '../../apps/demo/src/dashboard/dashboard-token.guard.js';
import { ControlTasks } from './control-app.js';
import { createTaskQueueApp } from './task-queue-app.js';

export const ADMIN_TOKEN = 'admin-token-for-tests';
export const VIEWER_TOKEN = 'viewer-token-for-tests';

/**
 * An HTTP app with a Celeriac worker (task events on) on `queue` as `nodename`, and the
 * dashboard at /celeriac behind the demo's token guard. Listens on a free loopback port.
 */
export async function startDashboardApp(options: {
  broker: string;
  backend: string;
  queue: string;
  nodename: string;
  queues: string[];
  dashboard?: Partial<TaskQueueDashboardOptions>;
  /** Nest's global prefix (`app.setGlobalPrefix`): the dashboard is then under it. */
  globalPrefix?: string;
}): Promise<{ app: INestApplication; url: string }> {
  const moduleRef = await createTaskQueueApp(
    {
      broker: options.broker,
      resultBackend: options.backend,
      defaultQueue: options.queue,
      worker: { queues: [options.queue], hostname: options.nodename, concurrency: 4 },
      events: { taskEvents: true, heartbeatInterval: 1 },
    },
    {
      imports: [
        // A beat with a private in-memory store: the schedules view has something to show.
        TaskQueueBeatModule.forRoot({ store: `memory://dashboard-${randomUUID()}` }),
        TaskQueueDashboardModule.forRoot({
          path: '/celeriac',
          guard: new DashboardTokenGuard({ admin: ADMIN_TOKEN, readOnly: VIEWER_TOKEN }),
          readOnly: readOnlyUnlessAdmin,
          queues: options.queues,
          ...options.dashboard,
        }),
      ],
      providers: [ControlTasks],
      // The HTTP app made from the module boots it, in listen().
      init: false,
    },
  );
  const app = moduleRef.createNestApplication({ logger: ['error', 'warn'] });
  if (options.globalPrefix) app.setGlobalPrefix(options.globalPrefix);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return { app, url: `http://127.0.0.1:${address.port}` };
}
