import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { INestApplication } from '@nestjs/common';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskClient, TaskQueueError, type TaskMeta } from 'celeriac';
import { RedisResultBackend } from 'celeriac/redis';
import { ADMIN_TOKEN, startDashboardApp } from '../support/dashboard-app.js';
import { ensureBuilt } from '../support/interop-build.js';
import { runCeleriac } from '../support/interop-processes.js';

/**
 * What another program may leave under `celery-task-meta-<id>` (a Python writer, a bug, a
 * hand-edited key): AsyncResult.get(), the CLI's `result` and the dashboard's task view answer
 * with a clear error or the value, never hang, crash or throw a bare TypeError.
 */
// celeryev is global per Redis database: this file owns db 10.
const REDIS = 'redis://127.0.0.1:6379/10';
const suffix = randomUUID().slice(0, 8);
const QUEUE = `hostile-results-${suffix}`;

const deep = (n: number): string => `${'['.repeat(n)}1${']'.repeat(n)}`;

/** Stored values another program may write. */
const STORED: [string, string][] = [
  ['not JSON', 'garbage{'],
  ['a JSON string', '"SUCCESS"'],
  ['null', 'null'],
  ['an array', '[1, 2]'],
  ['a number status', '{"status": 5, "result": 1}'],
  ['an unknown status', '{"status": "BOGUS", "result": 1}'],
  ['FAILURE with a string', '{"status": "FAILURE", "result": "boom"}'],
  ['FAILURE with a number', '{"status": "FAILURE", "result": 5}'],
  ['FAILURE with null', '{"status": "FAILURE", "result": null}'],
  [
    'FAILURE with typed-wrong fields',
    '{"status": "FAILURE", "result": {"exc_type": 5, "exc_message": {"x": 1}, "exc_module": []}}',
  ],
  [
    'FAILURE with a message String() cannot convert',
    '{"status": "FAILURE", "result": {"exc_type": "X", "exc_message": {"toString": 1}}}',
  ],
  ['SUCCESS with a big integer', '{"status": "SUCCESS", "result": 123456789012345678901234567890}'],
  ['SUCCESS nested 50,000 deep', `{"status": "SUCCESS", "result": ${deep(50_000)}}`],
  ['SUCCESS with garbage children', '{"status": "SUCCESS", "result": 1, "children": [5, "x", {}]}'],
  ['SUCCESS with a string children', '{"status": "SUCCESS", "result": 1, "children": "x"}'],
  ['SUCCESS with garbage dates', '{"status": "SUCCESS", "result": 1, "date_done": 5}'],
  [
    'SUCCESS with __proto__',
    '{"status": "SUCCESS", "result": {"__proto__": {"polluted": 1}}, "__proto__": {"polluted": 1}}',
  ],
  [
    'SUCCESS with garbage extended fields',
    '{"status": "SUCCESS", "result": 1, "args": "x", "kwargs": 5, "name": [], "retries": "many", "worker": {}, "queue": 1}',
  ],
  ['RETRY with garbage', '{"status": "RETRY", "result": [1, 2]}'],
  ['REVOKED with garbage', '{"status": "REVOKED", "result": "x"}'],
];

/** The cases the CLI is run on (a process each: a few seconds on a loaded machine). */
const CLI_CASES = new Set([
  'not JSON',
  'a number status',
  'FAILURE with typed-wrong fields',
  'FAILURE with a message String() cannot convert',
  'SUCCESS with a big integer',
  'SUCCESS nested 50,000 deep',
]);

let redis: Redis;
let app: INestApplication;
let url: string;
const ids: string[] = [];

beforeAll(async () => {
  await ensureBuilt(); // the CLI runs from libs/task-queue/dist
  redis = new Redis(REDIS);
  ({ app, url } = await startDashboardApp({
    broker: REDIS,
    backend: REDIS,
    queue: QUEUE,
    nodename: `hostile-${suffix}@${hostname()}`,
    queues: [QUEUE],
  }));
}, 240_000);

afterAll(async () => {
  await app?.close();
  if (ids.length) await redis.del(...ids.map((id) => `celery-task-meta-${id}`));
  const keys = await redis.keys(`*${suffix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

async function store(raw: string): Promise<string> {
  const id = randomUUID();
  ids.push(id);
  await redis.set(`celery-task-meta-${id}`, raw, 'EX', 600);
  return id;
}

describe.each(STORED)('a stored result that is %s', (what, raw) => {
  let id: string;
  beforeAll(async () => {
    id = await store(raw);
  });

  it('AsyncResult.get() settles with the value or a library error, in time', async () => {
    const outcome = await app
      .get(TaskClient)
      .result(id)
      .get({ timeout: 2_000 })
      .then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );
    if ('error' in outcome) {
      expect(outcome.error).toBeInstanceOf(TaskQueueError);
      expect((outcome.error as Error).message.length).toBeLessThan(2_000);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.runIf(CLI_CASES.has(what))('the CLI prints the state or one clear error line', async () => {
    const result = await runCeleriac(['result', id, '--backend', REDIS]);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stderr).not.toMatch(/TypeError|RangeError|SyntaxError/);
    if (result.code === 0) expect(() => JSON.parse(result.stdout) as unknown).not.toThrow();
    else expect(result.stderr).toMatch(/^celeriac( result)?: \S.*\n$/);
    expect(result.stderr).not.toContain('[object Object]');
  });

  it('the dashboard answers 200 or a clear 4xx/5xx, and keeps serving', async () => {
    const response = await fetch(`${url}/celeriac/api/tasks/${id}`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const text = await response.text();
    if (response.status === 200) expect(() => JSON.parse(text) as unknown).not.toThrow();
    else {
      expect(response.status).toBe(502);
      expect(JSON.parse(text)).toMatchObject({ message: expect.stringContaining(id) });
    }
    const session = await fetch(`${url}/celeriac/api/session`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(session.status).toBe(200);
  });
});

describe('garbage on the result channel', () => {
  it('a message published on celery-task-meta-<id> that is not a meta does not break get()', async () => {
    const client = app.get(TaskClient);
    const id = randomUUID();
    ids.push(id);
    const waiting = client
      .result(id)
      .get({ timeout: 5_000 })
      .then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );
    // get() subscribes first; publish garbage until it has, then a real meta.
    const publisher = new Redis(REDIS);
    try {
      for (let i = 0; i < 20; i++) {
        await publisher.publish(`celery-task-meta-${id}`, 'garbage{');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await store_(publisher, id, '{"status": "SUCCESS", "result": 7, "task_id": "x"}');
    } finally {
      publisher.disconnect();
    }
    const outcome = await waiting;
    if ('error' in outcome) expect(outcome.error).toBeInstanceOf(TaskQueueError);
    else expect(outcome.value).toBe(7);
    // The app still answers.
    const session = await fetch(`${url}/celeriac/api/session`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(session.status).toBe(200);
  });
});

async function store_(client: Redis, id: string, raw: string): Promise<void> {
  await client.set(`celery-task-meta-${id}`, raw, 'EX', 600);
  await client.publish(`celery-task-meta-${id}`, raw);
}

describe('garbage in chord counters', () => {
  const gid = (): string => `hostile-chord-${suffix}-${randomUUID()}`;
  const part = (taskId: string, result: unknown): TaskMeta => ({
    task_id: taskId,
    status: 'SUCCESS',
    result,
    traceback: null,
    children: [],
    date_done: null,
  });
  let backend: RedisResultBackend;
  beforeAll(() => {
    backend = new RedisResultBackend(REDIS);
  });
  afterAll(async () => {
    await backend?.close();
  });

  it('a chord size that is not a number fails the chord with ChordError (it could never complete)', async () => {
    const group = gid();
    await redis.set(`celery-taskset-meta-${group}.s`, 'two', 'EX', 600);
    const outcome = await backend.onChordPartReturn(group, 0, part(randomUUID(), 1));
    expect(outcome).toMatchObject({
      state: 'failed',
      error: {
        exc_type: 'ChordError',
        exc_message: [expect.stringContaining('is not a number: "two"')],
      },
    });
    if (outcome.state === 'failed') await outcome.release();
  });

  it('a join member that is not [1, id, state, result] fails the chord with ChordError', async () => {
    const group = gid();
    await backend.setChordSize(group, 2);
    await redis.zadd(`celery-taskset-meta-${group}.j`, 0, 'garbage{');
    const outcome = await backend.onChordPartReturn(group, 1, part(randomUUID(), 1));
    expect(outcome).toMatchObject({
      state: 'failed',
      error: {
        exc_type: 'ChordError',
        exc_message: [expect.stringContaining('unreadable chord member garbage{')],
      },
    });
    if (outcome.state === 'failed') await outcome.release();
  });
});
