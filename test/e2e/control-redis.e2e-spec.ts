import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemoteTaskError, TaskClient, WorkerService } from 'celeriac';
import { celeryCli, eventually } from '../support/control-python.js';
import { PYTHON, runProcess, runPythonClient } from '../support/interop-processes.js';
import { createControlApp } from '../support/control-app.js';
import {
  ControlCluster,
  controlNames,
  expectBothAnswerPingAndStats,
} from '../support/control-cluster.js';

// Celery's pidbox and celeryev names are global per Redis database: this file owns db 13.
const DB = 13;
const BROKER = `redis://127.0.0.1:6379/${DB}`;
const names = controlNames();
const { suffix, node: NODE, py: PY, nodeQueue: NODE_QUEUE } = names;

let cluster: ControlCluster;

beforeAll(async () => {
  cluster = await ControlCluster.start(BROKER, names, BROKER);
});

afterAll(async () => {
  await cluster?.close();
  const redis = new Redis(BROKER);
  const keys = await redis.keys(`*${suffix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

describe('Celery tooling sees a Celeriac worker on Redis', () => {
  it('celery inspect ping and celery status list the Node worker', async () => {
    const ping = await celeryCli(BROKER, 'inspect', 'ping', '-d', NODE);
    expect(ping).toContain(`${NODE}: OK`);
    expect(ping).toContain('pong');
    const status = await celeryCli(BROKER, 'status');
    expect(status).toContain(NODE);
    expect(status).toMatch(/\d+ nodes? online/);
  });

  it('celery inspect registered / stats describe the Node worker', async () => {
    const registered = await celeryCli(BROKER, 'inspect', 'registered', '-d', NODE);
    expect(registered).toContain('node.echo');
    const stats = await celeryCli(BROKER, 'inspect', 'stats', '-d', NODE, '-j');
    const parsed = JSON.parse(
      stats.slice(stats.indexOf('{'), stats.lastIndexOf('}') + 1),
    ) as Record<string, { broker: Record<string, unknown>; total: Record<string, number> }>;
    expect(parsed[NODE]!.broker).toMatchObject({ transport: 'redis', port: 6379 });
    expect(parsed[NODE]!.total).toBeTypeOf('object');
  });

  it("celery inspect conf shows the Node worker's settings under Celery's names", async () => {
    const out = await celeryCli(BROKER, 'inspect', 'conf', '-d', NODE, '-j');
    const parsed = JSON.parse(out.slice(out.indexOf('{'), out.lastIndexOf('}') + 1)) as Record<
      string,
      Record<string, unknown>
    >;
    expect(parsed[NODE]).toMatchObject({
      broker_url: BROKER,
      task_default_queue: NODE_QUEUE,
      worker_concurrency: 2,
      worker_prefetch_multiplier: expect.any(Number),
      task_acks_late: expect.any(Boolean),
      result_expires: expect.any(Number),
    });
  });

  it('a Python event receiver sees heartbeats and task events from the Node worker', async () => {
    await cluster.receiver.waitFor((e) => e.hostname === NODE && e.type === 'worker-heartbeat');
    const result = await cluster.app
      .get(TaskClient)
      .send('node.echo', ['hi'], {}, { queue: NODE_QUEUE });
    await expect(result.get({ timeout: 10_000 })).resolves.toBe('hi');
    const received = await cluster.receiver.waitFor(
      (e) => e.type === 'task-received' && e.uuid === result.id,
    );
    expect(received).toMatchObject({ hostname: NODE, name: 'node.echo', args: "('hi',)" });
    const succeeded = await cluster.receiver.waitFor(
      (e) => e.type === 'task-succeeded' && e.uuid === result.id,
    );
    expect(succeeded).toMatchObject({ hostname: NODE, result: "'hi'" });
  });

  it("task-received shows a Python producer's argsrepr / kwargsrepr, not the arguments", async () => {
    const { ids } = await runPythonClient<{ ids: string[] }>(BROKER, BROKER, 'send', {
      tasks: [
        [
          'node.echo',
          ['card 4111 1111 1111 1111'],
          {
            queue: NODE_QUEUE,
            kwargs: {},
            argsrepr: "('<card>',)",
            kwargsrepr: '{}',
          },
        ],
      ],
    });
    const received = await cluster.receiver.waitFor(
      (e) => e.type === 'task-received' && e.uuid === ids[0],
    );
    expect(received).toMatchObject({ hostname: NODE, args: "('<card>',)", kwargs: '{}' });
  });

  it("inspect().active(safe=True) lists a Python producer's argsrepr / kwargsrepr", async () => {
    const { ids } = await runPythonClient<{ ids: string[] }>(BROKER, BROKER, 'send', {
      tasks: [
        ['node.slow', [20_000], { queue: NODE_QUEUE, argsrepr: '(<ms>,)', kwargsrepr: '{}' }],
      ],
    });
    await cluster.receiver.waitFor((e) => e.type === 'task-started' && e.uuid === ids[0]);
    const script =
      'import json, sys; from celery import Celery; app = Celery(broker=sys.argv[1]); ' +
      'print(json.dumps(app.control.inspect(destination=[sys.argv[2]], timeout=3).active(safe=True)))';
    const { stdout } = await runProcess(PYTHON, ['-c', script, BROKER, NODE]);
    const replies = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown[]>;
    await celeryCli(BROKER, 'control', 'terminate', 'SIGTERM', ids[0]!, '-d', NODE);
    // Ended before the next test, which expects the worker idle (the terminate is asynchronous).
    await cluster.receiver.waitFor(
      (e) =>
        e.uuid === ids[0] &&
        ['task-revoked', 'task-failed', 'task-succeeded'].includes(String(e.type)),
    );
    expect(replies[NODE]).toEqual([
      expect.objectContaining({ id: ids[0], args: '(<ms>,)', kwargs: '{}' }),
    ]);
  });
});

describe('Task events default to off, as in Celery without -E', () => {
  it('sends heartbeats but no task events until enable_events, and never task-returned', async () => {
    const node = `quiet-${suffix}@${hostname()}`;
    const queue = `control-quiet-${suffix}`;
    const quiet = await createControlApp(BROKER, queue, node, { heartbeatInterval: 0.2 });
    try {
      const tasks = quiet.get(TaskClient);
      const first = await tasks.send('node.echo', ['quiet'], {}, { queue });
      await expect(first.get({ timeout: 10_000 })).resolves.toBe('quiet');
      // A heartbeat sent after the task settled: any task event would have been published first.
      const settledAt = Date.now() / 1000;
      await cluster.receiver.waitFor(
        (e) =>
          e.hostname === node && e.type === 'worker-heartbeat' && Number(e.timestamp) > settledAt,
      );
      expect(
        cluster.receiver.events.filter(
          (e) => e.hostname === node && String(e.type).startsWith('task-'),
        ),
      ).toEqual([]);

      expect(await celeryCli(BROKER, 'control', 'enable_events', '-d', node)).toContain(
        'task events enabled',
      );
      const second = await tasks.send('node.echo', ['loud'], {}, { queue });
      await expect(second.get({ timeout: 10_000 })).resolves.toBe('loud');
      await cluster.receiver.waitFor((e) => e.type === 'task-succeeded' && e.uuid === second.id);
      const enabledAt = Date.now() / 1000;
      await cluster.receiver.waitFor(
        (e) =>
          e.hostname === node && e.type === 'worker-heartbeat' && Number(e.timestamp) > enabledAt,
      );
      const types = cluster.receiver.events
        .filter((e) => e.hostname === node && String(e.type).startsWith('task-'))
        .map((e) => e.type);
      expect(types).toEqual(['task-received', 'task-started', 'task-succeeded']);
    } finally {
      await quiet.close();
    }
  });
});

describe('celery control rate_limit / time_limit / add_consumer on the Node worker', () => {
  it('time_limit: the next runs of the task get the new limits; an unknown task is an error', async () => {
    const set = await celeryCli(
      BROKER,
      'control',
      'time_limit',
      'node.slow',
      '0.5',
      '1',
      '-d',
      NODE,
    );
    expect(set).toContain(`${NODE}: OK`);
    expect(set).toContain('time limits set successfully');
    try {
      // As Celery: `inspect registered <attributes>` shows the task's limits that are set.
      const listed = await celeryCli(
        BROKER,
        ...['inspect', 'registered', 'time_limit', 'soft_time_limit', '-d', NODE],
      );
      expect(listed).toContain('* node.slow [time_limit=1 soft_time_limit=0.5]');
      expect(listed).toMatch(/\* node\.echo\n/);
      const tasks = cluster.app.get(TaskClient);
      const result = await tasks.send('node.slow', [4000], {}, { queue: NODE_QUEUE });
      const error = await result.get({ timeout: 15_000 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RemoteTaskError);
      // The soft limit (0.5 s) stops node.slow, which passes its signal on.
      expect((error as RemoteTaskError).excType).toBe('SoftTimeLimitExceeded');
    } finally {
      // Celery's way to remove them: 0 is no limit (billiard), not an invalid value.
      const clear = ['control', 'time_limit', 'node.slow', '0', '0', '-d', NODE];
      const cleared = await celeryCli(BROKER, ...clear);
      expect(cleared).toContain('time limits set successfully');
    }
    const listed = await celeryCli(BROKER, 'inspect', 'registered', 'time_limit', '-d', NODE);
    expect(listed).toMatch(/\* node\.slow\n/);
    const unknown = await celeryCli(BROKER, 'control', 'time_limit', 'no.such', '1', '-d', NODE);
    expect(unknown).toContain(`${NODE}: ERROR`);
    expect(unknown).toContain('unknown task');
  });

  it('rate_limit: runs of the task are spaced by the new rate; "0" disables it; bad rates are refused', async () => {
    const bad = await celeryCli(BROKER, 'control', 'rate_limit', 'node.echo', 'fast', '-d', NODE);
    expect(bad).toContain('Invalid rate limit string');
    const set = await celeryCli(BROKER, 'control', 'rate_limit', 'node.echo', '30/m', '-d', NODE);
    expect(set).toContain('new rate limit set successfully');
    try {
      // Celery's default attributes (exchange, routing_key, rate_limit): those that are set.
      const listed = await celeryCli(BROKER, 'inspect', 'registered', '-d', NODE);
      expect(listed).toContain('* node.echo [rate_limit=30/m]');
      const tasks = cluster.app.get(TaskClient);
      const started = Date.now();
      const results = await Promise.all(
        [0, 1, 2].map((i) => tasks.send('node.echo', [`r${i}`], {}, { queue: NODE_QUEUE })),
      );
      await Promise.all(results.map((r) => r.get({ timeout: 20_000 })));
      // One start every 2 s: the third starts at least 4 s after the first.
      expect(Date.now() - started).toBeGreaterThanOrEqual(3_500);
    } finally {
      const off = await celeryCli(BROKER, 'control', 'rate_limit', 'node.echo', '0', '-d', NODE);
      expect(off).toContain('rate limit disabled successfully');
    }
  });

  it('add_consumer / cancel_consumer: the Node worker consumes a queue, then stops again', async () => {
    const extra = `extra-${suffix}`;
    const tasks = cluster.app.get(TaskClient);
    const waiting = await tasks.send('node.echo', ['early'], {}, { queue: extra });
    const add = await celeryCli(BROKER, 'control', 'add_consumer', extra, '-d', NODE);
    expect(add).toContain(`${NODE}: OK`);
    expect(add).toContain(`add consumer ${extra}`);
    await expect(waiting.get({ timeout: 15_000 })).resolves.toBe('early');
    expect(await celeryCli(BROKER, 'inspect', 'active_queues', '-d', NODE)).toContain(
      `'name': '${extra}'`,
    );
    const again = await celeryCli(BROKER, 'control', 'add_consumer', extra, '-d', NODE);
    expect(again).toContain(`already consuming from ${extra}`);

    const cancel = await celeryCli(BROKER, 'control', 'cancel_consumer', extra, '-d', NODE);
    expect(cancel).toContain(`no longer consuming from ${extra}`);
    expect(await celeryCli(BROKER, 'inspect', 'active_queues', '-d', NODE)).not.toContain(
      `'name': '${extra}'`,
    );
    await tasks.send('node.echo', ['late'], {}, { queue: extra });
    // Nothing to await for "not consumed": give a consumer time to take it, then look.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const redis = new Redis(BROKER);
    try {
      expect(await redis.llen(extra)).toBe(1);
    } finally {
      redis.disconnect();
    }
  });

  it('cancel_consumer of a configured queue and the pool commands answer what to do', async () => {
    const cancel = await celeryCli(BROKER, 'control', 'cancel_consumer', NODE_QUEUE, '-d', NODE);
    expect(cancel).toContain(`${NODE}: ERROR`);
    expect(cancel).toContain('remove it from worker.queues and restart the worker');
    const grow = await celeryCli(BROKER, 'control', 'pool_grow', '1', '-d', NODE);
    expect(grow).toContain('pool_grow is not supported by Celeriac workers');
    expect(grow).toContain('worker.concurrency');
  });
});

describe('ControlClient on Redis', () => {
  it('pings and inspects a Python worker and a Node worker', async () => {
    await expectBothAnswerPingAndStats(cluster);
    const registered = await cluster.client.registered({
      destination: [PY, NODE],
      timeout: 10_000,
    });
    expect(registered[PY]).toContain('py.add');
    expect(registered[NODE]).toContain('node.echo');
    const active = await cluster.client.active({ destination: [NODE], timeout: 10_000 });
    expect(active[NODE]).toEqual([]);
  });

  it('revokes on both: the Node worker skips the task and records REVOKED', async () => {
    const tasks = cluster.app.get(TaskClient);
    const nodeTask = await tasks.send(
      'node.echo',
      ['late'],
      {},
      { queue: NODE_QUEUE, countdown: 1.5 },
    );
    const pyTaskId = randomUUID();
    const replies = await cluster.client.revoke([nodeTask.id, pyTaskId], {
      destination: [PY, NODE],
      timeout: 3000,
    });
    expect(replies[PY]).toEqual({ ok: expect.stringContaining('flagged as revoked') as string });
    expect(replies[NODE]).toEqual({ ok: expect.stringContaining('flagged as revoked') as string });
    await eventually(async () => (await nodeTask.state()) === 'REVOKED', 10_000, 'REVOKED');
    const revoked = await cluster.client.inspect<string[]>(
      'revoked',
      {},
      { destination: [PY], timeout: 2000 },
    );
    expect(revoked[PY]).toContain(pyTaskId);
  });

  // Celery's Request.maybe_expire adds an expired task to the worker's revoked set, so
  // `inspect revoked` lists it there (on that worker only: nothing is broadcast).
  it('celery inspect revoked lists a task that arrived expired, as Celery does', async () => {
    const expired = await cluster.app
      .get(TaskClient)
      .send(
        'node.echo',
        ['too late'],
        {},
        { queue: NODE_QUEUE, expires: new Date(Date.now() - 60_000) },
      );
    await eventually(async () => (await expired.state()) === 'REVOKED', 10_000, 'REVOKED');
    const out = await celeryCli(BROKER, 'inspect', 'revoked', '-d', NODE, '-j');
    const parsed = JSON.parse(out.slice(out.indexOf('{'), out.lastIndexOf('}') + 1)) as Record<
      string,
      string[]
    >;
    expect(parsed[NODE]).toContain(expired.id);
  });

  it('a remote shutdown stops the Node worker and it goes offline', async () => {
    await cluster.client.shutdown({ destination: [NODE] });
    await eventually(
      async () => !cluster.app.get(WorkerService).running,
      10_000,
      'the worker to stop',
    );
    await cluster.receiver.waitFor((e) => e.hostname === NODE && e.type === 'worker-offline');
    expect(await cluster.client.ping({ destination: [NODE], timeout: 500 })).toEqual({});
  });
});
