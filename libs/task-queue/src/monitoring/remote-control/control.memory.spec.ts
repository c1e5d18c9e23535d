import type { INestApplicationContext } from '@nestjs/common';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../__fixtures__/create-app.js';
import { TaskClient } from '../../producer/task.client.js';
import { WorkerService } from '../../worker/worker.service.js';
import { ControlClient } from './control.client.js';
import {
  MemoryBroadcastTransport,
  topicMatches,
} from '../../transports/memory/memory-broadcast.transport.js';
import { EVENT_EXCHANGE, EVENT_QUEUE_ARGUMENTS } from '../../broadcast/pidbox.names.js';
import type { IncomingMessage } from '../../contracts/broadcast-transport.interface.js';

const apps: INestApplicationContext[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
});

describe('remote control on memory://', () => {
  it('answers ping / stats / registered / revoke from the injected ControlClient', async () => {
    const name = `memory://ctl-${Date.now()}`;
    const app = await createApp({ broker: name, worker: { hostname: 'mem1@%h' } });
    apps.push(app);
    const client = app.get(ControlClient);
    const node = app.get(WorkerService).hostname;
    expect(await client.ping({ timeout: 300 })).toEqual({ [node]: { ok: 'pong' } });
    const stats = await client.stats({ destination: [node] });
    expect(stats[node]).toMatchObject({ total: {}, broker: { transport: 'memory' } });
    expect((await client.registered({ timeout: 300 }))[node]).toContain('orders.add');
    const revoked = await client.revoke('abc', { destination: [node] });
    expect(revoked[node]).toEqual({ ok: 'tasks abc flagged as revoked' });
    expect((await client.inspect<string[]>('revoked', {}, { timeout: 300 }))[node]).toContain(
      'abc',
    );
    expect((await client.inspect('nope', {}, { timeout: 300 }))[node]).toEqual({
      error: "KeyError('nope')",
    });
    expect(await client.ping({ destination: ['other@x'], timeout: 200 })).toEqual({});

    const standalone = await ControlClient.connect(name);
    expect(Object.keys(await standalone.ping({ timeout: 300 }))).toEqual([node]);
    await standalone.close();
  });

  it('stats.total counts the tasks run by name, not messages for unknown tasks (as Celery)', async () => {
    const app = await createApp({ broker: `memory://total-${Date.now()}` });
    apps.push(app);
    const node = app.get(WorkerService).hostname;
    const client = app.get(TaskClient);
    await (await client.send('orders.add', [1, 2])).get({ timeout: 2000 });
    const unknown = await client.send('no.such.task', []);
    await expect(unknown.get({ timeout: 2000 })).rejects.toThrow(/no\.such\.task/);
    const stats = await app.get(ControlClient).stats({ destination: [node], timeout: 300 });
    expect(stats[node]).toMatchObject({ total: { 'orders.add': 1 } });
    expect(stats[node]!.total).not.toHaveProperty('no.such.task');
  });

  it('inspect scheduled lists ETA tasks parked in the broker, marked parked', async () => {
    const app = await createApp({ broker: `memory://sched-${Date.now()}` });
    apps.push(app);
    const node = app.get(WorkerService).hostname;
    const eta = new Date(Date.now() + 60_000);
    const sent = await app.get(TaskClient).send('orders.add', [1, 2], {}, { eta });
    const reply = await app.get(ControlClient).scheduled({ destination: [node], timeout: 300 });
    expect(reply[node]).toEqual([
      expect.objectContaining({
        parked: true,
        priority: 6,
        request: expect.objectContaining({ id: sent.id, name: 'orders.add', args: [1, 2] }),
      }),
    ]);
    expect(new Date(String(reply[node]![0]!.eta)).getTime()).toBe(eta.getTime());
  });

  it('publishes worker events on celeryev', async () => {
    const name = `memory://ev-${Date.now()}`;
    const seen: IncomingMessage[] = [];
    const bus = new MemoryBroadcastTransport(new URL(name).host);
    await bus.subscribe(
      {
        exchange: EVENT_EXCHANGE,
        queue: 'celeryev.test',
        bindingKey: '#',
        queueArguments: EVENT_QUEUE_ARGUMENTS,
      },
      (m) => seen.push(m),
    );
    const app = await createApp({ broker: name, worker: { hostname: 'mem2@%h' } });
    await new Promise((r) => setTimeout(r, 50));
    await app.close();
    await new Promise((r) => setTimeout(r, 50));
    const types = seen.map((m) => (m.body as { type: string }).type);
    expect(types[0]).toBe('worker-online');
    expect(types).toContain('worker-offline');
    expect(seen[0]!.body).toMatchObject({ sw_ident: 'celeriac', freq: 2, pid: process.pid });
  });

  it('matches AMQP topic binding keys', () => {
    expect(topicMatches('#', 'task.multi')).toBe(true);
    expect(topicMatches('worker.#', 'worker.heartbeat')).toBe(true);
    expect(topicMatches('worker.#', 'task.multi')).toBe(false);
    expect(topicMatches('*.multi', 'task.multi')).toBe(true);
    expect(topicMatches('', '')).toBe(true);
  });
});
