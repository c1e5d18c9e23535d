import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { ChildProcess } from 'node:child_process';
import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskClient, type WorkerRecord } from 'celeriac';
import type { TaskSummary } from '@celeriac/dashboard';
import { type AmqpTestVhost, createTestVhost } from '../support/amqp-vhost.js';
import { createControlApp } from '../support/control-app.js';
import { eventually, killChild, startPythonWorker } from '../support/control-python.js';
import { ADMIN_TOKEN, startDashboardApp } from '../support/dashboard-app.js';

// celeryev is global per vhost: this file gets its own vhost.
const suffix = randomUUID().slice(0, 8);
const NODE = `dash-node-${suffix}@${hostname()}`;
const OTHER = `dash-other-${suffix}@${hostname()}`;
const PY = `dash-py-${suffix}@${hostname()}`;
const NODE_QUEUE = `dash-node-${suffix}`;
const OTHER_QUEUE = `dash-other-${suffix}`;
const PY_QUEUE = `dash-py-${suffix}`;

let vhost: AmqpTestVhost;
let app: INestApplication;
let url: string;
let other: INestApplicationContext | undefined;
let python: ChildProcess | undefined;

async function api<T>(path: string): Promise<T> {
  const response = await fetch(`${url}/celeriac/api/${path}`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  return (await response.json()) as T;
}

const worker = async (name: string) =>
  (await api<WorkerRecord[]>('workers')).find((w) => w.hostname === name);

beforeAll(async () => {
  vhost = await createTestVhost('celeriac-dashboard');
  python = startPythonWorker(vhost.url, PY_QUEUE, PY);
  ({ app, url } = await startDashboardApp({
    broker: vhost.url,
    backend: 'memory://',
    queue: NODE_QUEUE,
    nodename: NODE,
    queues: [NODE_QUEUE, PY_QUEUE],
  }));
  other = await createControlApp(vhost.url, OTHER_QUEUE, OTHER);
});

afterAll(async () => {
  await other?.close();
  await app?.close();
  await killChild(python);
  await vhost?.dispose();
});

describe('dashboard on RabbitMQ', () => {
  it('sees Python and Node workers and their tasks', async () => {
    await eventually(async () => (await worker(PY))?.online === true, 30_000, 'the Python worker');
    expect((await worker(PY))?.software).toContain('py-celery');
    await eventually(async () => (await worker(NODE))?.online === true, 10_000, 'the Node worker');
    const tasks = app.get(TaskClient);
    const py = await tasks.send('py.add', [2, 3], {}, { queue: PY_QUEUE });
    const node = await tasks.send('node.echo', [`amqp-${suffix}`], {}, { queue: NODE_QUEUE });
    const state = async (id: string) =>
      (await api<{ items: TaskSummary[] }>(`tasks?id=${id}`)).items[0]?.state;
    await eventually(async () => (await state(py.id)) === 'SUCCESS', 20_000, 'py.add to succeed');
    await eventually(
      async () => (await state(node.id)) === 'SUCCESS',
      20_000,
      'node.echo to succeed',
    );
  });

  it('shows a Node worker offline as soon as it shuts down (its worker-offline arrives)', async () => {
    await eventually(
      async () => (await worker(OTHER))?.online === true,
      10_000,
      'the other worker',
    );
    await other!.close();
    other = undefined;
    // Well before two missed heartbeats (2 s each) could mark it offline.
    await eventually(async () => (await worker(OTHER))?.offline === true, 2_000, 'worker-offline');
  });
});
