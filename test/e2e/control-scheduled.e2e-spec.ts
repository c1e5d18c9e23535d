import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { INestApplicationContext } from '@nestjs/common';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient } from 'celeriac';
import { TaskClient, TaskRevokedError } from 'celeriac';
import { WorkerService } from 'celeriac';
import { createControlApp } from '../support/control-app.js';
import { celeryCli } from '../support/control-python.js';

/**
 * `inspect scheduled` on a Node worker on Redis lists the ETA tasks it holds (due within 2 s)
 * and those parked in Redis for its queues (further ahead), in Celery's reply shape, to
 * Celeriac's ControlClient and to Python's `celery inspect scheduled`.
 */
// Celery's pidbox names are global per Redis database: this file owns db 11.
const DB = 11;
const BROKER = `redis://127.0.0.1:6379/${DB}`;
const suffix = randomUUID().slice(0, 8);
const NODE = `node-sched-${suffix}@${hostname()}`;
const QUEUE = `sched-${suffix}`;

interface ScheduledEntry {
  eta: string;
  priority: number;
  parked?: boolean;
  request: {
    id: string;
    name: string;
    args: unknown[];
    kwargs: Record<string, unknown>;
    delivery_info: { routing_key: string };
  };
}

let app: INestApplicationContext;
let client: ControlClient;
let parkedId: string;
let parkedEta: Date;

beforeAll(async () => {
  app = await createControlApp(BROKER, QUEUE, NODE);
  client = await ControlClient.connect(BROKER);
  parkedEta = new Date(Date.now() + 120_000);
  const parked = await app
    .get(TaskClient)
    .send('node.echo', ['later'], {}, { queue: QUEUE, eta: parkedEta });
  parkedId = parked.id;
});

afterAll(async () => {
  await client?.close();
  await app?.close();
  const redis = new Redis(BROKER);
  for (const entry of await redis.zrange('celeriac:delayed', 0, '-1')) {
    if (entry.includes(QUEUE)) await redis.zrem('celeriac:delayed', entry);
  }
  const keys = await redis.keys(`*${suffix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

describe('inspect scheduled lists held and parked ETA tasks', () => {
  it('ControlClient: the held task and the parked one, in Celery reply shape', async () => {
    const heldEta = new Date(Date.now() + 1_900);
    const held = await app
      .get(TaskClient)
      .send('node.echo', ['soon'], {}, { queue: QUEUE, eta: heldEta });
    const worker = app.get(WorkerService);
    await expect.poll(() => worker.snapshot().scheduled.map((r) => r.id)).toContain(held.id);
    const replies = await client.scheduled({ destination: [NODE], timeout: 1_000 });
    const entries = replies[NODE] as unknown as ScheduledEntry[];
    const byId = new Map(entries.map((e) => [e.request.id, e]));
    expect(byId.get(held.id)).toMatchObject({
      priority: 6,
      request: { id: held.id, name: 'node.echo', args: ['soon'], kwargs: {} },
    });
    expect(byId.get(held.id)!.parked).toBeUndefined();
    expect(byId.get(parkedId)).toMatchObject({
      priority: 6,
      parked: true,
      request: {
        id: parkedId,
        name: 'node.echo',
        args: ['later'],
        kwargs: {},
        delivery_info: { routing_key: QUEUE },
      },
    });
    expect(new Date(byId.get(parkedId)!.eta).getTime()).toBe(parkedEta.getTime());
  });

  it('celery inspect scheduled (Python) lists the parked task of the Node worker', async () => {
    const out = await celeryCli(BROKER, 'inspect', 'scheduled', '-d', NODE, '-j');
    const replies = JSON.parse(out.slice(out.indexOf('{'), out.lastIndexOf('}') + 1)) as Record<
      string,
      ScheduledEntry[]
    >;
    const entry = replies[NODE]!.find((e) => e.request.id === parkedId);
    expect(entry).toMatchObject({
      priority: 6,
      request: { id: parkedId, name: 'node.echo', args: ['later'], kwargs: {} },
    });
    expect(new Date(entry!.eta).getTime()).toBe(parkedEta.getTime());
    // The plain text form prints it too.
    const text = await celeryCli(BROKER, 'inspect', 'scheduled', '-d', NODE);
    expect(text).toContain(parkedId);
    expect(text).not.toMatch(/Traceback|Error/);
  });

  it('celery control terminate of a task not yet started revokes it: REVOKED "revoked", as Celery', async () => {
    const task = await app
      .get(TaskClient)
      .send('node.echo', ['never'], {}, { queue: QUEUE, countdown: 1.5 });
    const out = await celeryCli(BROKER, 'control', 'terminate', 'SIGTERM', task.id, '-d', NODE);
    expect(out).toContain('terminate: tasks unknown');
    const error = await task.get({ timeout: 15_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskRevokedError);
    // Celery terminates running tasks only: one that arrives revoked is 'revoked'.
    expect((error as TaskRevokedError).reason).toBe('revoked');
  });
});
