import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient, TaskClient } from 'celeriac';
import { type AmqpTestVhost, createTestVhost, listQueues } from '../support/amqp-vhost.js';
import { celeryCli } from '../support/control-python.js';
import {
  ControlCluster,
  controlNames,
  expectBothAnswerPingAndStats,
} from '../support/control-cluster.js';

// Celery's pidbox and celeryev exchanges are global per vhost: this file gets its own vhost.
const names = controlNames();
const { node: NODE, py: PY, nodeQueue: NODE_QUEUE } = names;

let vhost: AmqpTestVhost;
let cluster: ControlCluster;

beforeAll(async () => {
  vhost = await createTestVhost('celeriac-control');
  cluster = await ControlCluster.start(vhost.url, names);
});

afterAll(async () => {
  await cluster?.close();
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
    await cluster.receiver.waitFor((e) => e.hostname === NODE && e.type === 'worker-heartbeat');
    const result = await cluster.app
      .get(TaskClient)
      .send('node.echo', ['hi'], {}, { queue: NODE_QUEUE });
    await expect(result.get({ timeout: 10_000 })).resolves.toBe('hi');
    const succeeded = await cluster.receiver.waitFor(
      (e) => e.type === 'task-succeeded' && e.uuid === result.id,
    );
    expect(succeeded).toMatchObject({ hostname: NODE, result: "'hi'" });
  });

  it("task-retried carries the retry's cause (None for a bare retry) and Retry in its traceback", async () => {
    const tasks = cluster.app.get(TaskClient);
    const bare = await tasks.send('node.retry_once', [], {}, { queue: NODE_QUEUE });
    const caused = await tasks.send('node.retry_once', ['again'], {}, { queue: NODE_QUEUE });
    await expect(caused.get({ timeout: 10_000 })).resolves.toBe(1);
    const retried = (id: string) =>
      cluster.receiver.waitFor((e) => e.type === 'task-retried' && e.uuid === id);
    // As Celery's Request.on_retry: repr(Retry.exc), and the Retry's traceback.
    const first = await retried(bare.id);
    expect(first.exception).toBe('None');
    expect(first.traceback).toMatch(/celery\.exceptions\.Retry: Retry in 0\.1s$/);
    const second = await retried(caused.id);
    expect(second.exception).toBe("RangeError('again')");
    expect(second.traceback).toMatch(/Retry: Retry in 0\.1s: RangeError\('again'\)$/);
  });
});

describe('celery control add_consumer / cancel_consumer on RabbitMQ', () => {
  it('the Node worker consumes a queue added at run time, and stops again', async () => {
    const extra = `extra-${randomUUID().slice(0, 8)}`;
    const tasks = cluster.app.get(TaskClient);
    const add = await celeryCli(vhost.url, 'control', 'add_consumer', extra, '-d', NODE);
    expect(add).toContain(`add consumer ${extra}`);
    const result = await tasks.send('node.echo', ['added'], {}, { queue: extra });
    await expect(result.get({ timeout: 15_000 })).resolves.toBe('added');
    const cancel = await celeryCli(vhost.url, 'control', 'cancel_consumer', extra, '-d', NODE);
    expect(cancel).toContain(`no longer consuming from ${extra}`);
    expect(await celeryCli(vhost.url, 'inspect', 'active_queues', '-d', NODE)).not.toContain(
      `'name': '${extra}'`,
    );
  });

  it('refuses add_consumer with an exchange type or routing key it cannot bind, saying so', async () => {
    // Celery declares `exchange` with `exchange_type` and binds the queue with `routing_key`;
    // a Node worker binds only `<queue> -> <queue>` (direct), so tasks sent through that
    // exchange would be lost while the reply said OK.
    const extra = `extra-${randomUUID().slice(0, 8)}`;
    const exchange = `topic-${randomUUID().slice(0, 8)}`;
    const reply = await celeryCli(
      vhost.url,
      ...['control', 'add_consumer', extra, exchange, 'topic', 'node.#', '-d', NODE],
    );
    expect(reply).toContain(`${NODE}: ERROR`);
    expect(reply).toContain(`add_consumer ${extra}: exchange ${exchange} (topic)`);
    expect(reply).toContain('bind the queue yourself');
    expect(await celeryCli(vhost.url, 'inspect', 'active_queues', '-d', NODE)).not.toContain(
      `'name': '${extra}'`,
    );
  });
});

describe('ControlClient on RabbitMQ', () => {
  it('pings and inspects a Python worker and a Node worker', async () => {
    await expectBothAnswerPingAndStats(cluster);
    const revoked = await cluster.client.revoke(randomUUID(), {
      destination: [PY, NODE],
      timeout: 10_000,
    });
    expect(Object.keys(revoked).sort()).toEqual([NODE, PY].sort());
  });

  it('the module-injected ControlClient shares the broker connection', async () => {
    const injected = cluster.app.get(ControlClient);
    expect((await injected.ping({ destination: [NODE, PY], timeout: 3000 }))[PY]).toEqual({
      ok: 'pong',
    });
  });
});
