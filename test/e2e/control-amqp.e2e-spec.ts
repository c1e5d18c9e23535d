import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { ChildProcess } from 'node:child_process';
import type { INestApplicationContext } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient, TaskClient } from 'celeriac';
import { type AmqpTestVhost, createTestVhost, listQueues } from '../support/amqp-vhost.js';
import { createControlApp } from '../support/control-app.js';
import {
  celeryCli,
  eventually,
  killChild,
  PythonEventReceiver,
  startPythonWorker,
} from '../support/control-python.js';

// Celery's pidbox and celeryev exchanges are global per vhost: this file gets its own vhost.
const suffix = randomUUID().slice(0, 8);
const NODE = `node-${suffix}@${hostname()}`;
const PY = `py-${suffix}@${hostname()}`;
const NODE_QUEUE = `control-node-${suffix}`;
const PY_QUEUE = `control-py-${suffix}`;

let vhost: AmqpTestVhost;
let app: INestApplicationContext;
let python: ChildProcess | undefined;
let receiver: PythonEventReceiver | undefined;
let client: ControlClient;

beforeAll(async () => {
  vhost = await createTestVhost('celeriac-control');
  python = startPythonWorker(vhost.url, PY_QUEUE, PY);
  receiver = new PythonEventReceiver(vhost.url);
  app = await createControlApp(vhost.url, NODE_QUEUE, NODE);
  client = await ControlClient.connect(vhost.url);
  await eventually(
    async () => PY in (await client.ping({ destination: [PY], timeout: 500 })),
    30_000,
    'the Python worker to answer ping',
  );
});

afterAll(async () => {
  await client?.close();
  await app?.close();
  await Promise.all([killChild(python), receiver?.stop()]);
  await vhost?.dispose();
});

describe('Celery tooling sees a Celeriac worker on RabbitMQ', () => {
  it('celery inspect ping / registered / stats list the Node worker', async () => {
    const ping = await celeryCli(vhost.url, 'inspect', 'ping', '-d', NODE);
    expect(ping).toContain(`${NODE}: OK`);
    const registered = await celeryCli(vhost.url, 'inspect', 'registered', '-d', NODE);
    expect(registered).toContain('node.echo');
    const stats = await celeryCli(vhost.url, 'inspect', 'stats', '-d', NODE, '-j');
    const parsed = JSON.parse(
      stats.slice(stats.indexOf('{'), stats.lastIndexOf('}') + 1),
    ) as Record<string, { broker: Record<string, unknown>; total: Record<string, number> }>;
    expect(parsed[NODE]!.broker).toMatchObject({ transport: 'amqp', virtual_host: vhost.name });
    expect(parsed[NODE]!.total).toBeTypeOf('object');
  });

  it('declares the pidbox queue with Celery arguments', async () => {
    const queues = await listQueues(vhost.name);
    const pidbox = queues.find((q) => q.name === `${NODE}.celery.pidbox`);
    expect(pidbox?.arguments).toContain('x-expires');
    expect(pidbox?.arguments).toContain('x-message-ttl');
  });

  it('a Python event receiver sees heartbeats and task events from the Node worker', async () => {
    await receiver!.waitFor((e) => e.hostname === NODE && e.type === 'worker-heartbeat');
    const result = await app.get(TaskClient).send('node.echo', ['hi'], {}, { queue: NODE_QUEUE });
    await expect(result.get({ timeout: 10_000 })).resolves.toBe('hi');
    const succeeded = await receiver!.waitFor(
      (e) => e.type === 'task-succeeded' && e.uuid === result.id,
    );
    expect(succeeded).toMatchObject({ hostname: NODE, result: "'hi'" });
  });
});

describe('ControlClient on RabbitMQ', () => {
  it('pings and inspects a Python worker and a Node worker', async () => {
    const pongs = await client.ping({ timeout: 1500 });
    expect(pongs[PY]).toEqual({ ok: 'pong' });
    expect(pongs[NODE]).toEqual({ ok: 'pong' });
    const stats = await client.stats({ destination: [PY, NODE], timeout: 3000 });
    expect(stats[PY]).toHaveProperty('broker');
    expect(stats[NODE]).toHaveProperty('total');
    const revoked = await client.revoke(randomUUID(), { destination: [PY, NODE], timeout: 3000 });
    expect(Object.keys(revoked).sort()).toEqual([NODE, PY].sort());
  });

  it('the module-injected ControlClient shares the broker connection', async () => {
    const injected = app.get(ControlClient);
    expect((await injected.ping({ destination: [NODE, PY], timeout: 3000 }))[PY]).toEqual({
      ok: 'pong',
    });
  });
});
