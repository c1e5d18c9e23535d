import { randomUUID } from 'node:crypto';
import { TaskQueueBeatModule } from 'celeriac';
import { TaskQueueDjangoBeatModule } from 'celeriac/typeorm';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DjangoBeatTables } from '../support/django-beat.js';
import { type DjangoBeatApp, startDjangoBeatApp } from '../support/django-beat-app.js';
import { deleteKeys, REDIS_URL } from '../support/redis-test-server.js';
import { openSchemaDataSource, uniqueSchema } from '../support/typeorm-postgres.js';
import { createTaskQueueApp } from '../support/task-queue-app.js';

// A periodic task defined in Django admin with integer arguments beyond 2^53 (Python's int has
// no limit; its json writes them in full) reaches the Nest handler as exact BigInts, through a
// schedule store in Redis, and a Python consumer as the same ints: JSON.parse rounded them
// (2**70 + 1 became 2**70) before the row was decoded as a task message is.

const BIG = 2n ** 70n + 1n; // 1180591620717411303425
const ODD = 2n ** 53n + 1n; // 9007199254740993, the first integer a double cannot hold
const tables = new DjangoBeatTables(uniqueSchema('djbig'));
const id = randomUUID().slice(0, 8);
let dataSource: DataSource;
let beat: DjangoBeatApp | undefined;

beforeAll(async () => {
  await tables.migrate();
  dataSource = await openSchemaDataSource(tables.schema);
}, 120_000);

afterAll(async () => {
  await beat?.app.close();
  await dataSource?.destroy();
  await tables.drop();
  await deleteKeys(REDIS_URL, `djbig-${id}`, `_kombu.binding.djbig-${id}`);
});

describe('a django-celery-beat row with integers beyond 2^53', () => {
  it('reaches the Nest handler with them exact, through a Redis schedule store', async () => {
    beat = await startDjangoBeatApp(dataSource, 'djbig', REDIS_URL);
    await tables.call('interval', {
      name: 'big ints to node',
      task: beat.task,
      every: 1,
      period: 'seconds',
      one_off: true,
      // As Django admin stores what it is given: Python's json text, ints in full.
      args: `[${BIG}, ${ODD}, -${ODD}, 1.5]`,
      queue: beat.queue,
    });
    const runs = () => beat!.runs.filter((run) => run.schedule === 'big ints to node');
    await expect.poll(() => runs().length, { timeout: 15_000 }).toBe(1);
    expect(runs()[0]!.args).toEqual([BIG, ODD, -ODD, 1.5]);
    // Closed now: its beat would also serve the next row (one_off), into its memory broker.
    await beat.app.close();
    beat = undefined;
  }, 60_000);

  it('reaches a Python consumer with them exact, as Celery publishes the row', async () => {
    const queue = `djbig-${id}`;
    await tables.call('interval', {
      name: 'big ints to python',
      task: 'djbig.report',
      every: 1,
      period: 'seconds',
      one_off: true,
      args: `[${BIG}, ${ODD}]`,
      kwargs: `{"n": -${BIG}}`,
      queue,
    });
    const app = await createTaskQueueApp(
      {
        broker: REDIS_URL,
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
    let taken: { args: string[]; kwargs: Record<string, string> };
    try {
      taken = JSON.parse(await tables.call('take', { broker: REDIS_URL, queue })) as typeof taken;
    } finally {
      await app.close();
    }
    expect(taken.args).toEqual([String(BIG), String(ODD)]);
    expect(taken.kwargs).toEqual({ n: `-${BIG}` });
  }, 60_000);
});
