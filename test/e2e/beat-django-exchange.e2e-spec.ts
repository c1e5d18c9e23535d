import { randomUUID } from 'node:crypto';
import type { TestingModule } from '@nestjs/testing';
import { TaskQueueBeatModule } from 'celeriac';
import { TaskQueueDjangoBeatModule } from 'celeriac/typeorm';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usePrivateVhost } from '../support/amqp-vhost.js';
import { DjangoBeatTables } from '../support/django-beat.js';
import { deleteKeys, REDIS_URL } from '../support/redis-test-server.js';
import { openSchemaDataSource, uniqueSchema } from '../support/typeorm-postgres.js';
import { createTaskQueueApp } from '../support/task-queue-app.js';

// A django-celery-beat row with an exchange and a routing_key is published as Celery's own beat
// publishes it (its DatabaseScheduler entry through Scheduler.apply_async): to that exchange
// with that routing key, so the queue bound to it (declared by kombu) gets it, on RabbitMQ and
// on Redis (kombu's _kombu.binding table). A Python consumer (kombu) reads both messages.

interface Taken {
  exchange: string;
  routing_key: string;
  headers: Record<string, unknown>;
  priority: number | null;
}

const tables = new DjangoBeatTables(uniqueSchema('djbeatex'));
const vhost = usePrivateVhost('beat-django-exchange');
const id = randomUUID().slice(0, 8);
let dataSource: DataSource;

beforeAll(async () => {
  await tables.migrate();
  dataSource = await openSchemaDataSource(tables.schema);
}, 120_000);

afterAll(async () => {
  await dataSource?.destroy();
  await tables.drop();
  await deleteKeys(REDIS_URL, `_kombu.binding.djx-${id}`, `djx-${id}`);
});

async function startBeat(broker: string, queue: string): Promise<TestingModule> {
  const app = await createTaskQueueApp(
    {
      broker,
      resultBackend: false,
      defaultQueue: queue,
      events: { enabled: false },
      worker: { enabled: false },
    },
    {
      imports: [
        TaskQueueBeatModule.forRoot({ store: `memory://${queue}` }),
        TaskQueueDjangoBeatModule.forRoot({ dataSource, pollInterval: 200 }),
      ],
    },
  );
  return app;
}

describe.each([
  ['RabbitMQ', () => vhost.url],
  ['Redis', () => REDIS_URL],
])("a django-celery-beat row's exchange and routing_key on %s", (transport, brokerUrl) => {
  it("reach the published message as with Celery's beat: the bound queue gets it", async () => {
    const broker = brokerUrl();
    const name = `routed ${transport}`;
    const tag = `djx-${id}-${transport.toLowerCase()}`;
    const [exchange, routed, defaultQueue] = [`${tag}-ex`, `${tag}-routed`, `${tag}-default`];
    await tables.call('bind', { broker, exchange, routing_key: 'reports.daily', queue: routed });
    await tables.call('interval', {
      name,
      task: 'djbeat.report',
      every: 1,
      period: 'seconds',
      one_off: true,
      exchange,
      routing_key: 'reports.daily',
      headers: { tenant: 't1' },
      priority: 4,
    });
    const app = await startBeat(broker, defaultQueue);
    let celeriac: Taken;
    try {
      celeriac = JSON.parse(await tables.call('take', { broker, queue: routed })) as Taken;
    } finally {
      await app.close();
    }
    await tables.call('celery-send', { broker, name, default_queue: defaultQueue });
    const celery = JSON.parse(await tables.call('take', { broker, queue: routed })) as Taken;

    const routing = (taken: Taken) => ({
      exchange: taken.exchange,
      routing_key: taken.routing_key,
      tenant: taken.headers.tenant,
      task: taken.headers.task,
      priority: taken.priority,
    });
    expect(routing(celery)).toEqual({
      exchange,
      routing_key: 'reports.daily',
      tenant: 't1',
      task: 'djbeat.report',
      priority: 4,
    });
    expect(routing(celeriac)).toEqual(routing(celery));
    expect(celeriac.headers.periodic_task_name).toBe(name);
  }, 60_000);
});
