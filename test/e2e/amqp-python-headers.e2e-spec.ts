import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { TestingModule } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient } from 'celeriac';
import { TaskClient } from 'celeriac';
import { LamportClock } from '../../libs/task-queue/src/monitoring/celery-events/lamport-clock.js';
import { type AmqpTestVhost, createTestVhost } from '../support/amqp-vhost.js';
import { ControlTasks } from '../support/control-app.js';
import {
  celeryCli,
  eventually,
  killChild,
  PYTHON,
  PYTHON_FIXTURES,
} from '../support/control-python.js';
import { deleteResults, REDIS_URL } from '../support/redis-test-server.js';
import { createTaskQueueApp } from '../support/task-queue-app.js';

// Integers in AMQP headers must reach py-amqp with a type it reads: amqplib writes 128..32767
// as a 16-bit `s`, which py-amqp takes for a short string (UnicodeDecodeError / ValueError in
// the Python worker, in mingle at its start-up, and in `celery inspect` / `status`). A Node
// worker whose Lamport clock is far past 127, a Node producer sending `timeLimit`s of every
// size, a ControlClient broadcasting, and a real Celery 5.2.6 worker with mingle, on one vhost.

const suffix = randomUUID().slice(0, 8);
const NODE = `node-hdr-${suffix}@${hostname()}`;
const PY = `py-hdr-${suffix}@${hostname()}`;
const NODE_QUEUE = `hdr-node-${suffix}`;
const PY_QUEUE = `hdr-py-${suffix}`;
const LIMITS = [0, 127, 128, 300, 600, 32767, 32768, 70000, 2 ** 31];

let vhost: AmqpTestVhost;
let node: TestingModule;
let control: ControlClient;
let python: ChildProcess | undefined;
let pythonLog = '';
const taskIds: string[] = [];

beforeAll(async () => {
  vhost = await createTestVhost('celeriac-headers');
  node = await createTaskQueueApp(
    {
      broker: vhost.url,
      resultBackend: REDIS_URL,
      defaultQueue: NODE_QUEUE,
      worker: { queues: [NODE_QUEUE], hostname: NODE, concurrency: 4 },
    },
    { providers: [ControlTasks] },
  );
  control = await ControlClient.connect(vhost.url);
}, 60_000);

afterAll(async () => {
  await control?.close();
  await node?.close();
  await killChild(python);
  await deleteResults(REDIS_URL, taskIds).catch(() => undefined);
  await vhost?.dispose();
}, 60_000);

/** A Celery 5.2.6 worker of control_app.py, with mingle and gossip (Celery's defaults). */
function startPython(): ChildProcess {
  const child = spawn(
    PYTHON,
    ['-m', 'celery', '-A', 'control_app', 'worker', '-Q', PY_QUEUE, '-n', PY, '-c', '1'],
    {
      cwd: PYTHON_FIXTURES,
      env: {
        ...process.env,
        CELERY_BROKER_URL: vhost.url,
        CELERY_RESULT_BACKEND: REDIS_URL,
        PYTHONUNBUFFERED: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const collect = (chunk: Buffer): void => void (pythonLog += chunk.toString('utf8'));
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  return child;
}

function pythonAlive(): boolean {
  return python !== undefined && python.exitCode === null && python.signalCode === null;
}

async function expectPythonAnswers(): Promise<void> {
  await eventually(
    async () => {
      if (!pythonAlive()) throw new Error(`the Python worker died:\n${pythonLog}`);
      return PY in (await control.ping({ destination: [PY], timeout: 1000 }));
    },
    40_000,
    'the Python worker to answer ping',
  ).catch((error: Error) => {
    throw new Error(`${error.message}\n--- Python worker output ---\n${pythonLog}`);
  });
}

/**
 * Celery's CLI must list the Node worker and never show a traceback. Broadcasts name both
 * workers (`-d`), so they return once both replied instead of waiting out the timeout.
 */
async function expectCeleryToolsRead(): Promise<void> {
  const both = `${NODE},${PY}`;
  for (const args of [
    ['inspect', 'ping', '-d', both],
    ['inspect', 'stats', '-d', NODE],
    ['inspect', 'active', '-d', both],
    ['inspect', 'clock', '-d', both],
    ['control', 'enable_events', '-d', both],
    ['status'],
  ]) {
    const out = await celeryCli(vhost.url, ...args, '--timeout', '3');
    expect(out, args.join(' ')).not.toMatch(/Traceback|Error:/);
    expect(out, args.join(' ')).toContain(NODE);
  }
}

describe('integers in AMQP headers, read by Python Celery (py-amqp)', () => {
  it('a Python worker with mingle starts beside a Node worker whose clock is past 127', async () => {
    // Real traffic first: tasks run by the Node worker (events tick its clock) ...
    const tasks = node.get(TaskClient);
    const results = await Promise.all(
      Array.from({ length: 150 }, (_, i) => tasks.send('node.echo', [`v${i}`])),
    );
    taskIds.push(...results.map((r) => r.id));
    await Promise.all(results.map((r) => r.get({ timeout: 30_000 })));
    const clock = node.get(LamportClock);
    // ... then the clock is put inside the 16-bit range amqplib would encode as `s`.
    if (clock.current < 300) clock.adjust(300);
    expect(clock.current).toBeGreaterThan(127);
    expect(clock.current).toBeLessThan(32768);

    python = startPython();
    await expectPythonAnswers(); // mingle read the Node worker's `clock` header
    expect(pythonLog).not.toMatch(/UnicodeDecodeError|ValueError|Unrecoverable/);
  }, 120_000);

  it('celery inspect ping / stats / active and celery status read the Node replies', async () => {
    await expectCeleryToolsRead();
    expect(pythonAlive()).toBe(true);
  }, 60_000);

  it('ControlClient broadcasts with a clock past 127 do not kill the Python worker', async () => {
    for (let i = 0; i < 3; i++) {
      const pongs = await control.ping({ timeout: 1500 });
      expect(pongs[NODE]).toEqual({ ok: 'pong' });
    }
    await expectPythonAnswers();
  }, 60_000);

  it('the Python worker runs Node-produced tasks with timeLimit values of every size', async () => {
    const tasks = node.get(TaskClient);
    const sent = [];
    for (const [i, timeLimit] of LIMITS.entries()) {
      const result = await tasks.send<number>(
        'py.add',
        [i, 1000],
        {},
        {
          queue: PY_QUEUE,
          timeLimit,
          headers: { custom: { small: 200, list: [300, -5, 40000], big: 2 ** 40 } },
        },
      );
      taskIds.push(result.id);
      sent.push({ i, result });
    }
    for (const { i, result } of sent) {
      await expect(result.get({ timeout: 30_000 })).resolves.toBe(i + 1000);
    }
    expect(pythonAlive()).toBe(true);
    expect(pythonLog).not.toMatch(/UnicodeDecodeError|ValueError|Unrecoverable/);
  }, 90_000);

  it('everything still reads once the clock passes 32767 and 2^31', async () => {
    const clock = node.get(LamportClock);
    for (const value of [40_000, 2 ** 31 + 10]) {
      clock.adjust(value);
      await expectCeleryToolsRead();
      const pongs = await control.ping({ timeout: 1500 });
      expect(Object.keys(pongs)).toEqual(expect.arrayContaining([NODE, PY]));
    }
    const result = await node
      .get(TaskClient)
      .send<number>('py.add', [1, 2], {}, { queue: PY_QUEUE, timeLimit: 300 });
    taskIds.push(result.id);
    await expect(result.get({ timeout: 30_000 })).resolves.toBe(3);
    expect(pythonAlive()).toBe(true);
  }, 90_000);
});
