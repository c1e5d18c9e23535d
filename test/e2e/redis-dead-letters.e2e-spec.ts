import type { INestApplicationContext } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../libs/task-queue/src/__fixtures__/create-app.js';
import { DeadLetters, deadLetterQueueOf } from 'celeriac';
import { runPythonClient } from '../support/interop-processes.js';
import { deleteKeys, REDIS_URL } from '../support/redis-test-server.js';

/**
 * Dead letters on Redis keep a body byte for byte, even when it is not UTF-8 text: a pickle
 * message sent by Python Celery (`serializer='pickle'`), which a Node worker cannot read and
 * dead-letters, comes back from `redrive()` exactly as Python wrote it.
 */
describe('Redis dead letters of a body that is not UTF-8', () => {
  let redis: Redis;
  let queue: string;
  const apps: INestApplicationContext[] = [];
  const app = async (worker: boolean): Promise<INestApplicationContext> => {
    const created = await createApp(
      { broker: REDIS_URL, defaultQueue: queue, worker: { enabled: worker, concurrency: 2 } },
      [],
    );
    apps.push(created);
    return created;
  };
  const bodies = async (key: string): Promise<Buffer[]> =>
    (await redis.lrange(key, 0, -1)).map((raw) =>
      Buffer.from((JSON.parse(raw) as { body: string }).body, 'base64'),
    );

  beforeAll(() => {
    redis = new Redis(REDIS_URL);
  });
  afterEach(async () => {
    for (const a of apps.splice(0)) await a.close();
    await deleteKeys(REDIS_URL, queue, `_kombu.binding.${queue}`);
  });
  afterAll(() => {
    redis.disconnect();
  });

  it('dead-letters, peeks and redrives a Python pickle message without changing a byte', async () => {
    queue = `dl-pickle-${randomUUID()}`;
    await runPythonClient(REDIS_URL, REDIS_URL, 'send', {
      tasks: [['interop.add', [1, 2], { queue, serializer: 'pickle' }]],
    });
    const [original] = await bodies(queue);
    expect(original).toBeDefined();
    // A pickle is binary: not valid UTF-8 (decoding and re-encoding it would change it).
    expect(Buffer.from(original!.toString('utf8'), 'utf8').equals(original!)).toBe(false);

    const worker = await app(true);
    const dead = worker.get(DeadLetters);
    await expect.poll(() => dead.count(queue), { timeout: 15_000 }).toBe(1);
    await worker.close();
    apps.splice(apps.indexOf(worker), 1);

    const [lettered] = await bodies(deadLetterQueueOf(queue));
    expect(lettered!.equals(original!)).toBe(true);

    const producer = await app(false);
    const [peeked] = await producer.get(DeadLetters).peek(queue);
    expect(peeked!.contentType).toBe('application/x-python-serialize');
    expect(Buffer.from(peeked!.body, 'base64').equals(original!)).toBe(true);
    // peek gives the message back untouched.
    const [afterPeek] = await bodies(deadLetterQueueOf(queue));
    expect(afterPeek!.equals(original!)).toBe(true);

    await expect(producer.get(DeadLetters).redrive(queue)).resolves.toBe(1);
    const [redriven] = await bodies(queue);
    expect(redriven!.equals(original!)).toBe(true);
    const [raw] = await redis.lrange(queue, 0, -1);
    expect(raw).not.toMatch(/x-celeriac-(dead|original)/);
  });
});
