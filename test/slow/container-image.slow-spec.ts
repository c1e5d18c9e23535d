import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InteropProducer } from '../support/interop-producer.js';
import { uniqueName } from '../support/interop-processes.js';
import type { ManagedProcess } from '../support/managed-process.js';
import {
  buildImage,
  nodeBaseImage,
  podman,
  removeQuietly,
  runContainer,
} from '../support/podman.js';

/**
 * The Dockerfile built with podman on an offline base image (this machine's node), the worker
 * role run as a container against the loopback Redis, and `podman stop` (SIGTERM to Node as
 * PID 1) draining it: every task ends with a result or back in its queue, none twice.
 */
const REDIS = 'redis://127.0.0.1:6379/0';
const TASKS = 300;
const IMAGE = `localhost/celeriac-test:${uniqueName('img').slice(4)}`;
const containers: string[] = [];
let buildSeconds = 0;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  const base = await nodeBaseImage();
  const started = Date.now();
  await buildImage(base, IMAGE);
  buildSeconds = (Date.now() - started) / 1000;
  console.log(`[container-image] podman build on ${base}: ${buildSeconds.toFixed(1)} s`);
}, 1_200_000);

afterAll(async () => {
  await removeQuietly(containers, IMAGE);
}, 120_000);

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
      const queued = await redis.lrange(`${prefix}celery`, 0, -1);
      expect(
        queued.map((raw) => JSON.parse(raw) as { headers: { id: string; task: string } }),
      ).toMatchObject([{ headers: { id: view.task.id, task: 'orders.process' } }]);
      await podman(['stop', '--time', '30', name], 60_000);
      await expect(api.exited).resolves.toMatchObject({ code: 0 });
    } finally {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    }
  });

  it('runs the worker on loopback Redis; podman stop drains it and loses no task', async () => {
    const queue = uniqueName('container');
    const healthPort = await freePort();
    const producer = await InteropProducer.open(REDIS);
    const redis = new Redis(REDIS);
    const env = {
      CELERIAC_ROLE: 'worker',
      CELERIAC_BROKER: REDIS,
      CELERIAC_RESULT_BACKEND: REDIS,
      CELERIAC_QUEUES: queue,
      CELERIAC_HOSTNAME: `${queue}@%h`,
      CELERIAC_SHUTDOWN_TIMEOUT: '20000',
      CELERIAC_HTTP_PORT: String(healthPort),
    };
    const start = async (): Promise<{ container: ManagedProcess; name: string }> => {
      const name = uniqueName('celeriac-worker');
      containers.push(name);
      const started = Date.now();
      const container = runContainer(name, IMAGE, env);
      await container.waitFor(/ready\./, 60_000);
      console.log(`[container-image] ${name}: start → ready ${Date.now() - started} ms`);
      return { container, name };
    };
    const ids: string[] = [];
    const finished = async (): Promise<string[]> => {
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
      const deadline = Date.now() + 120_000;
      while (!(await check())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };

    try {
      const first = await start();
      // The image's HEALTHCHECK runs inside the container against CELERIAC_HTTP_PORT.
      const probe = await podman(['exec', first.name, 'node', 'deploy/docker/healthcheck.mjs'])
        .then(() => 'healthy')
        .catch((error: { stderr?: string }) => error.stderr ?? '');
      const served = await fetch(`http://127.0.0.1:${healthPort}/health/live`).then(
        (r) => r.ok,
        () => false,
      );
      if (served) expect(probe).toBe('healthy');
      else expect(probe).toContain(`http://127.0.0.1:${healthPort}/health/live`);

      // 300 tasks at the demo's 50/s rate limit: several seconds of work to interrupt.
      for (let i = 0; i < TASKS; i++) {
        const sent = await producer.send('notifications.order_confirmation', ['c@x.io', i, 100], {
          queue,
        });
        ids.push(sent.id);
      }
      await until(async () => (await finished()).length >= 50, '50 results');

      const stopped = Date.now();
      await podman(['stop', '--time', '60', first.name], 90_000);
      await expect(first.container.exited).resolves.toMatchObject({ code: 0 });
      console.log(`[container-image] podman stop → exit ${Date.now() - stopped} ms`);
      // Exit 0 is the app's own clean shutdown: SIGKILL after --time would give 137.

      const done = await finished();
      const { queued, unacked } = await waiting();
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
        [...ids].sort(),
      );

      // A new container finishes the requeued rest; each task ran exactly once overall.
      const second = await start();
      await until(async () => (await finished()).length === TASKS, 'every result');
      await podman(['stop', '--time', '60', second.name], 90_000);
      await expect(second.container.exited).resolves.toMatchObject({ code: 0 });
      const output = first.container.output + second.container.output;
      for (let i = 0; i < TASKS; i++) {
        const runs = output.split(`"Order ${i} confirmed:`).length - 1;
        expect(runs, `task ${i} ran once`).toBe(1);
      }
    } finally {
      redis.disconnect();
      await producer.close();
    }
  });
});
