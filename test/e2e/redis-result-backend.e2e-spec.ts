import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resultTuple, RedisResultBackend } from 'celeriac/redis';
import { AsyncResult, ResultBackendError, TaskTimeoutError } from 'celeriac';
import { describeResultBackendConformance } from 'celeriac/conformance';
import { meta } from '../../libs/task-queue/src/testing/conformance/result-backend.conformance.js';
import { PrivateRedisServer, REDIS_URL } from '../support/redis-test-server.js';

// Keys are Celery's fixed names with uuid ids, so parallel suites never collide.
describeResultBackendConformance('redis', { create: () => new RedisResultBackend(REDIS_URL) });

describe('RedisResultBackend: Celery format', () => {
  let redis: Redis;
  const keys: string[] = [];
  const backends: RedisResultBackend[] = [];
  const open = async (expires?: number): Promise<RedisResultBackend> => {
    const backend = new RedisResultBackend(REDIS_URL, { expires });
    await backend.connect();
    backends.push(backend);
    return backend;
  };
  const id = (): string => {
    const taskId = randomUUID();
    keys.push(`celery-task-meta-${taskId}`, `celery-taskset-meta-${taskId}`);
    for (const s of ['.j', '.s', '.t']) keys.push(`celery-taskset-meta-${taskId}${s}`);
    return taskId;
  };

  beforeAll(() => {
    redis = new Redis(REDIS_URL);
  });
  afterEach(async () => {
    for (const backend of backends.splice(0)) await backend.close();
  });
  afterAll(async () => {
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('writes celery-task-meta-<id> with SETEX and PUBLISHes the same JSON on that name', async () => {
    const backend = await open(3600);
    const taskId = id();
    const listener = new Redis(REDIS_URL);
    const published = new Promise<string>((resolve) =>
      listener.on('message', (_c, m: string) => resolve(m)),
    );
    await listener.subscribe(`celery-task-meta-${taskId}`);
    const stored = { ...meta(taskId, 'SUCCESS', 5), group_id: 'g-1', parent_id: 'p-1' };
    await backend.store(stored);
    const raw = (await redis.get(`celery-task-meta-${taskId}`))!;
    expect(await published).toBe(raw);
    listener.disconnect();
    const ttl = await redis.ttl(`celery-task-meta-${taskId}`);
    expect(ttl).toBeGreaterThan(3500);
    expect(ttl).toBeLessThanOrEqual(3600);
    const json = JSON.parse(raw) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual([
      'status',
      'result',
      'traceback',
      'children',
      'date_done',
      'task_id',
      'group_id',
      'parent_id',
    ]);
    expect(json).toMatchObject({
      status: 'SUCCESS',
      result: 5,
      traceback: null,
      children: [],
      task_id: taskId,
    });
  });

  it('defaults to one day of expiry and keeps a stored SUCCESS (Celery de-duplication)', async () => {
    const backend = await open();
    const taskId = id();
    await backend.store(meta(taskId, 'SUCCESS', 1));
    expect(await redis.ttl(`celery-task-meta-${taskId}`)).toBeGreaterThan(86_000);
    await backend.store(
      meta(taskId, 'FAILURE', { exc_type: 'E', exc_message: [], exc_module: 'm' }),
    );
    expect((await backend.get(taskId))?.result).toBe(1);
  });

  it('reports a garbage value as a ResultBackendError for that task only', async () => {
    const backend = await open();
    const bad = id();
    const good = id();
    await redis.set(`celery-task-meta-${bad}`, 'definitely {not json');
    await backend.store(meta(good, 'SUCCESS', 'ok'));
    await expect(backend.get(bad)).rejects.toBeInstanceOf(ResultBackendError);
    await expect(backend.get(bad)).rejects.toThrow(bad);
    await expect(backend.waitForReady(bad, { timeout: 2000 })).rejects.toBeInstanceOf(
      ResultBackendError,
    );
    expect((await backend.get(good))?.result).toBe('ok');
    await backend.store(meta(bad, 'SUCCESS', 'healed'));
    expect((await backend.get(bad))?.result).toBe('healed');
  });

  it('stores a whole turn of results even when one key holds another type (garbage), replacing it', async () => {
    const backend = await open();
    const bad = id();
    const others = [id(), id(), id()];
    await redis.hset(`celery-task-meta-${bad}`, 'not', 'a string');
    // Issued in one event-loop turn: one store-n.lua call for all four.
    await Promise.all([
      backend.store(meta(others[0]!, 'SUCCESS', 0)),
      backend.store(meta(bad, 'SUCCESS', 'replaced')),
      backend.store(meta(others[1]!, 'SUCCESS', 1)),
      backend.store(meta(others[2]!, 'SUCCESS', 2)),
    ]);
    expect((await backend.get(bad))?.result).toBe('replaced');
    for (const [i, other] of others.entries()) expect((await backend.get(other))?.result).toBe(i);
  });

  it('shares one subscription per channel between waiters and drops it afterwards', async () => {
    const backend = await open();
    const taskId = id();
    const channel = `celery-task-meta-${taskId}`;
    const waits = [backend.waitForReady(taskId), backend.waitForReady(taskId)];
    await expect.poll(async () => (await redis.pubsub('NUMSUB', channel))[1]).toBe(1);
    await backend.store(meta(taskId, 'SUCCESS', 3));
    expect((await Promise.all(waits)).map((m) => m.result)).toEqual([3, 3]);
    await expect.poll(async () => (await redis.pubsub('NUMSUB', channel))[1]).toBe(0);
  });

  it('saves and restores a group result as GroupResult.save() does', async () => {
    const backend = await open();
    const gid = id();
    const [t1, t2] = [randomUUID(), randomUUID()];
    await backend.saveGroup(gid, [resultTuple(t1), resultTuple(t2)]);
    const raw = await redis.get(`celery-taskset-meta-${gid}`);
    expect(JSON.parse(raw!)).toEqual({
      result: [
        [gid, null],
        [
          [[t1, null], null],
          [[t2, null], null],
        ],
      ],
    });
    expect(await backend.restoreGroup(gid)).toEqual({
      groupId: gid,
      children: [resultTuple(t1), resultTuple(t2)],
      taskIds: [t1, t2],
    });
    await backend.forgetGroup(gid);
    expect(await backend.restoreGroup(gid)).toBeNull();
  });

  it('joins a chord in group-index order once size + extra parts have returned', async () => {
    const backend = await open();
    const gid = id();
    await backend.setChordSize(gid, 2);
    await redis.incr(`celery-taskset-meta-${gid}.t`);
    const tids = [randomUUID(), randomUUID(), randomUUID()];
    expect(await backend.onChordPartReturn(gid, 2, meta(tids[2]!, 'SUCCESS', 'c'))).toEqual({
      state: 'pending',
      count: 1,
    });
    expect((await backend.onChordPartReturn(gid, 0, meta(tids[0]!, 'SUCCESS', 'a'))).state).toBe(
      'pending',
    );
    const members = await redis.zrange(`celery-taskset-meta-${gid}.j`, '0', '-1');
    expect(members[0]).toBe(`[1, "${tids[0]}", "SUCCESS", "a"]`);
    const outcome = await backend.onChordPartReturn(gid, 1, meta(tids[1]!, 'SUCCESS', 'b'));
    expect(outcome.state).toBe('ready');
    if (outcome.state !== 'ready') return;
    expect(outcome.results).toEqual(['a', 'b', 'c']);
    await outcome.release();
    const left = await redis.exists(
      ...['.j', '.s', '.t'].map((s) => `celery-taskset-meta-${gid}${s}`),
    );
    expect(left).toBe(0);
  });

  it('reports a failed header task as Celery ChordError', async () => {
    const backend = await open();
    const gid = id();
    await backend.setChordSize(gid, 2);
    const [ok, bad] = [randomUUID(), randomUUID()];
    const error = { exc_type: 'ValueError', exc_message: ["it's bad"], exc_module: 'builtins' };
    await backend.onChordPartReturn(gid, 0, meta(ok, 'SUCCESS', 1));
    const outcome = await backend.onChordPartReturn(gid, 1, meta(bad, 'FAILURE', error));
    expect(outcome).toMatchObject({
      state: 'failed',
      taskId: bad,
      error: {
        exc_type: 'ChordError',
        exc_message: [`Dependency ${bad} raised ValueError('it\\'s bad')`],
        exc_module: 'celery.exceptions',
      },
    });
    if (outcome.state === 'failed') await outcome.release();
  });
});

describe('RedisResultBackend: unreachable while a caller waits', () => {
  it('get() with a timeout says the backend did not answer (not "check that a worker consumes")', async () => {
    const server = await PrivateRedisServer.start();
    const backend = new RedisResultBackend(server.url, { timeout: 30_000 });
    try {
      await backend.connect();
      await server.kill();
      const error = await new AsyncResult(randomUUID(), backend)
        .get({ timeout: 1_500 })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TaskTimeoutError);
      expect((error as Error).message).toMatch(/the result backend did not answer/);
      expect((error as Error).message).not.toMatch(/check that a worker consumes/);
    } finally {
      await backend.close();
      await server.kill();
    }
  });

  it('a backend that answers: the timeout message stays about the task', async () => {
    const backend = new RedisResultBackend(REDIS_URL);
    try {
      const error = await new AsyncResult(randomUUID(), backend)
        .get({ timeout: 300 })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TaskTimeoutError);
      expect((error as Error).message).toMatch(/check that a worker consumes its queue/);
    } finally {
      await backend.close();
    }
  });
});
