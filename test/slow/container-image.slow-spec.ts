import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { COMMANDS } from '../../libs/task-queue/src/cli/main.js';
import { awaitImageBuild } from '../support/image-build.js';
import { InteropProducer } from '../support/interop-producer.js';
import { uniqueName } from '../support/interop-processes.js';
import type { ManagedProcess } from '../support/managed-process.js';
import { podman, removeQuietly, runContainer } from '../support/podman.js';

/**
 * The Dockerfile built with podman on an offline base image (this machine's node), the worker
 * role run as a container against the loopback Redis, and `podman stop` (SIGTERM to Node as
 * PID 1) draining it: every task ends with a result or back in its queue, none twice.
 * The image is built once per run, from its start (test/setup/image-setup.ts).
 */
const REDIS = 'redis://127.0.0.1:6379/0';
const TASKS = 300;
const build = inject('imageBuild');
const IMAGE = build.tag;
const containers: string[] = [];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  const waited = Date.now();
  const outcome = await awaitImageBuild(build, 1_200_000);
  if (!outcome.ok) throw new Error(`the image build failed: ${outcome.error}`);
  console.log(
    `[container-image] podman build on ${outcome.base} / ${outcome.runtime}: ` +
      `${outcome.seconds.toFixed(1)} s, of which this suite waited ${(Date.now() - waited) / 1000} s`,
  );
}, 1_200_000);

afterAll(async () => {
  // The image goes with the run (test/setup/image-setup.ts).
  await removeQuietly(containers);
}, 120_000);

/** A unique queue, a producer, and the checks the worker scenarios share. */
async function workerScenario(prefix: string) {
  const queue = uniqueName(prefix);
  const producer = await InteropProducer.open(REDIS);
  const redis = new Redis(REDIS);
  const env = {
    CELERIAC_ROLE: 'worker',
    CELERIAC_BROKER: REDIS,
    CELERIAC_RESULT_BACKEND: REDIS,
    CELERIAC_QUEUES: queue,
    CELERIAC_SHUTDOWN_TIMEOUT: '20000',
  };
  const ids: string[] = [];
  // Containers share the host's network here (each pod has its own in Kubernetes), so every
  // container gets its own health port: two on one port would fail to bind.
  const start = async (): Promise<{
    container: ManagedProcess;
    name: string;
    healthPort: number;
  }> => {
    const name = uniqueName('celeriac-worker');
    const healthPort = await freePort();
    containers.push(name);
    const started = Date.now();
    const container = runContainer(name, IMAGE, {
      ...env,
      CELERIAC_HTTP_PORT: String(healthPort),
      CELERIAC_HOSTNAME: `${name}@%h`,
    });
    await container.waitFor(/ready\./, 60_000);
    console.log(`[container-image] ${name}: start → ready ${Date.now() - started} ms`);
    return { container, name, healthPort };
  };
  /** `podman stop`: SIGTERM, the app drains and exits 0 (SIGKILL after --time would be 137). */
  const stop = async (worker: { container: ManagedProcess; name: string }): Promise<number> => {
    const stopped = Date.now();
    await podman(['stop', '--time', '60', worker.name], 90_000);
    await expect(worker.container.exited).resolves.toMatchObject({ code: 0 });
    return Date.now() - stopped;
  };
  const send = async (i: number): Promise<void> => {
    const sent = await producer.send('notifications.order_confirmation', ['c@x.io', i, 100], {
      queue,
    });
    ids.push(sent.id);
  };
  const finished = async (): Promise<string[]> => {
    if (ids.length === 0) return [];
    const values = await redis.mget(...ids.map((id) => `celery-task-meta-${id}`));
    return ids.filter((_, i) => values[i] && JSON.parse(values[i]!).status === 'SUCCESS');
  };
  /** Task ids in the queue's lists (every priority band) and in the unacked hash. */
  const waiting = async (): Promise<{ queued: string[]; unacked: string[] }> => {
    const lists = await redis.keys(`${queue}*`);
    const queued: string[] = [];
    for (const list of lists.filter((key) => !key.startsWith('_kombu'))) {
      for (const raw of await redis.lrange(list, 0, -1)) {
        queued.push((JSON.parse(raw) as { headers: { id: string } }).headers.id);
      }
    }
    const mine = new Set(ids);
    const unacked = Object.values(await redis.hgetall('unacked'))
      .map((raw) => (JSON.parse(raw) as [{ headers: { id: string } }])[0].headers.id)
      .filter((id) => mine.has(id));
    return { queued, unacked };
  };
  const until = async (check: () => Promise<boolean>, what: string): Promise<void> => {
    const deadline = Date.now() + 180_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  /** Each task's log line ("Order <i> confirmed") across the containers' outputs, exactly once. */
  const expectEachRanOnce = (outputs: ManagedProcess[], count: number): void => {
    const output = outputs.map((o) => o.output).join('');
    const twice: number[] = [];
    const never: number[] = [];
    for (let i = 0; i < count; i++) {
      const runs = output.split(`"Order ${i} confirmed:`).length - 1;
      if (runs === 0) never.push(i);
      if (runs > 1) twice.push(i);
    }
    expect({ never, twice }).toEqual({ never: [], twice: [] });
  };
  const close = async (): Promise<void> => {
    redis.disconnect();
    await producer.close();
  };
  return {
    queue,
    producer,
    redis,
    ids,
    start,
    stop,
    send,
    finished,
    waiting,
    until,
    expectEachRanOnce,
    close,
  };
}

describe('the container image', () => {
  it('is small, non-root, stops with SIGTERM and carries the exec HEALTHCHECK', async () => {
    const [inspect] = JSON.parse(await podman(['image', 'inspect', IMAGE])) as {
      Size: number;
      Config: {
        User: string;
        StopSignal: string;
        Entrypoint: string[];
        Env: string[];
      };
      Healthcheck?: { Test: string[] };
    }[];
    const megabytes = inspect!.Size / 1e6;
    console.log(`[container-image] image size ${megabytes.toFixed(1)} MB`);
    expect(megabytes).toBeLessThan(200);
    expect(inspect!.Config.User).toBe('1000:1000');
    expect(inspect!.Config.StopSignal).toBe('SIGTERM');
    expect(inspect!.Config.Entrypoint).toEqual(['node', 'deploy/docker/role.mjs']);
    expect(inspect!.Config.Env).toContain('NODE_OPTIONS=--max-semi-space-size=4');
    expect(inspect!.Healthcheck?.Test).toEqual(['CMD', 'node', 'deploy/docker/healthcheck.mjs']);
  });

  it('refuses an unknown role with a clear message', async () => {
    const name = uniqueName('celeriac-role');
    containers.push(name);
    const container = runContainer(name, IMAGE, { CELERIAC_ROLE: 'scheduler' });
    await expect(container.exited).resolves.toMatchObject({ code: 64 });
    expect(container.output).toContain('unknown role "scheduler"');
  });

  it('runs `celeriac beat` for the beat role, or says the CLI has none', async () => {
    const hasBeat = COMMANDS.some((command) => command.name === 'beat');
    const name = uniqueName('celeriac-beat');
    containers.push(name);
    // Arguments after the role go to `celeriac beat`.
    const beat = runContainer(name, IMAGE, {}, ['beat', '--help']);
    const exit = await beat.exited;
    if (hasBeat) {
      expect(exit.code, beat.output).toBe(0);
      expect(beat.output).toContain('usage: celeriac beat');
    } else {
      expect(exit.code).toBe(78);
      expect(beat.output).toContain('has no "beat" command');
    }
  });

  it('runs the API producer-only: an order publishes its task, podman stop exits 0', async () => {
    // A key prefix keeps the demo's default "celery" queue apart from every other test.
    const prefix = `${uniqueName('api')}:`;
    const broker = `${REDIS}?global_keyprefix=${encodeURIComponent(prefix)}`;
    const port = await freePort();
    const name = uniqueName('celeriac-api');
    containers.push(name);
    const redis = new Redis(REDIS);
    try {
      const api = runContainer(name, IMAGE, {
        CELERIAC_ROLE: 'api',
        CELERIAC_WORKER: '0',
        DEMO_SAMPLES: '0',
        PORT: String(port),
        CELERIAC_BROKER: broker,
        CELERIAC_RESULT_BACKEND: 'memory://',
      });
      await api.waitFor(new RegExp(`listening on http://0\\.0\\.0\\.0:${port}`), 60_000);
      const created = await fetch(`http://127.0.0.1:${port}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          customerEmail: 'ada@example.com',
          lines: [{ sku: 'A', quantity: 2, unitPriceCents: 250 }],
        }),
      });
      expect(created.status).toBe(201);
      const order = (await created.json()) as { id: number };
      const view = (await (await fetch(`http://127.0.0.1:${port}/orders/${order.id}`)).json()) as {
        task: { id: string; state: string };
      };
      expect(view.task.state).toBe('PENDING');
      // The demo's beat shares the queue (its heartbeat schedule): keep the order tasks.
      const queued = (await redis.lrange(`${prefix}celery`, 0, -1))
        .map((raw) => JSON.parse(raw) as { headers: { id: string; task: string } })
        .filter((message) => message.headers.task === 'orders.process');
      expect(queued).toMatchObject([{ headers: { id: view.task.id, task: 'orders.process' } }]);
      await podman(['stop', '--time', '30', name], 60_000);
      await expect(api.exited).resolves.toMatchObject({ code: 0 });
    } finally {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    }
  });

  it('runs the worker on loopback Redis; podman stop drains it and loses no task', async () => {
    const w = await workerScenario('container');
    try {
      const first = await w.start();
      // The image's HEALTHCHECK runs inside the container against CELERIAC_HTTP_PORT.
      const probe = await podman(['exec', first.name, 'node', 'deploy/docker/healthcheck.mjs'])
        .then(() => 'healthy')
        .catch((error: { stderr?: string }) => error.stderr ?? '');
      const served = await fetch(`http://127.0.0.1:${first.healthPort}/health/live`).then(
        (r) => r.ok,
        () => false,
      );
      expect(served, '/health/live answers').toBe(true);
      expect(probe).toBe('healthy');

      // 300 tasks at the demo's 50/s rate limit: several seconds of work to interrupt. Sent
      // at once: one by one on a loaded host, the worker ran nearly all of them meanwhile and
      // had finished the 300 before the stop.
      await Promise.all(Array.from({ length: TASKS }, (_, i) => w.send(i)));
      await w.until(async () => (await w.finished()).length >= 50, '50 results');
      console.log(`[container-image] podman stop → exit ${await w.stop(first)} ms`);

      const done = await w.finished();
      const { queued, unacked } = await w.waiting();
      console.log(
        `[container-image] after stop: ${done.length} done, ${queued.length} back in the queue`,
      );
      expect(done.length, 'stopped mid-stream').toBeLessThan(TASKS);
      expect(queued.length, 'the prefetched rest went back').toBeGreaterThan(0);
      expect(unacked, 'nothing left unacked').toEqual([]);
      expect(new Set(queued).size, 'no message twice in the queue').toBe(queued.length);
      expect(
        queued.filter((id) => done.includes(id)),
        'finished and requeued',
      ).toEqual([]);
      expect([...done, ...queued].sort(), 'every task has a result or is queued').toEqual(
        [...w.ids].sort(),
      );

      // A new container finishes the requeued rest; each task ran exactly once overall.
      const second = await w.start();
      await w.until(async () => (await w.finished()).length === TASKS, 'every result');
      await w.stop(second);
      w.expectEachRanOnce([first.container, second.container], TASKS);
    } finally {
      await w.close();
    }
  });

  it('a rolling update of workers during a task stream loses and repeats nothing', async () => {
    const ROLLING_TASKS = 1000;
    const w = await workerScenario('rolling');
    try {
      let current = await w.start();
      const containersRun = [current.container];
      // A steady stream: 50 tasks every 100 ms, about as fast as one worker's rate limit allows
      // the whole fleet to drain them while containers come and go.
      const publishing = (async () => {
        for (let i = 0; i < ROLLING_TASKS; i++) {
          await w.send(i);
          if (i % 50 === 49) await new Promise((resolve) => setTimeout(resolve, 100));
        }
      })();
      // maxSurge 1, maxUnavailable 0: start the new container, then stop the old one.
      for (const after of [150, 400]) {
        await w.until(async () => (await w.finished()).length >= after, `${after} results`);
        const next = await w.start();
        containersRun.push(next.container);
        await w.stop(current);
        current = next;
      }
      await publishing;
      await w.until(async () => (await w.finished()).length === ROLLING_TASKS, 'every result');
      await w.stop(current);
      expect((await w.waiting()).unacked).toEqual([]);
      w.expectEachRanOnce(containersRun, ROLLING_TASKS);
    } finally {
      await w.close();
    }
  });
});
