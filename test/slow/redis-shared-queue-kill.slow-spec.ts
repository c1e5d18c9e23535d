import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  countEvents,
  startNodeWorker,
  startPythonWorker,
  uniqueName,
  type ManagedProcess,
} from '../support/interop-processes.js';
import { InteropProducer } from '../support/interop-producer.js';
import { PrivateRedisServer } from '../support/redis-test-server.js';

/**
 * A Node worker and a Celery 5.2.6 worker (`-P solo`, so a SIGKILL ends its task too) share
 * one Redis queue; `interop.sleep` is acks_late on both sides. One of them is SIGKILLed in
 * the middle of the task: the other restores the message after the visibility timeout (3 s
 * on both) and runs it once. kombu 5.2 restores at a worker's start and then only every 10th
 * scan (about every 100 s): the Python worker is started once the Node worker's entry is past
 * its visibility timeout, so that the test does not wait out that interval.
 */

const VISIBILITY = 3;
const processes: ManagedProcess[] = [];
let server: PrivateRedisServer;
let producer: InteropProducer;

beforeAll(async () => {
  server = await PrivateRedisServer.start();
  producer = await InteropProducer.open(server.url);
});
afterEach(async () => {
  await Promise.all(processes.splice(0).map((p) => p.kill('SIGKILL')));
});
afterAll(async () => {
  await producer?.close().catch(() => undefined);
  await server?.kill();
});

async function nodeWorker(queue: string): Promise<ManagedProcess> {
  const query = `visibility_timeout=${VISIBILITY}&unacked_restore_interval=0.5`;
  const worker = await startNodeWorker({
    broker: `${server.url}?${query}`,
    backend: server.url,
    queues: [queue],
    concurrency: 2,
    resilient: true,
  });
  processes.push(worker);
  return worker;
}

async function pythonWorker(queue: string): Promise<ManagedProcess> {
  const worker = await startPythonWorker({
    broker: server.url,
    backend: server.url,
    queue,
    concurrency: 1,
    pool: 'solo',
    app: 'shared_queue_app',
    env: { SHARED_VISIBILITY_TIMEOUT: String(VISIBILITY) },
  });
  processes.push(worker);
  return worker;
}

/** Resolves once kombu's unacked index holds an entry older than the visibility timeout. */
async function pastVisibilityTimeout(): Promise<void> {
  const redis = new Redis(server.url);
  try {
    await expect
      .poll(
        () => redis.zrangebyscore('unacked_index', '-inf', Date.now() / 1000 - VISIBILITY - 0.5),
        { timeout: 20_000, interval: 250 },
      )
      .toHaveLength(1);
  } finally {
    redis.disconnect();
  }
}

/** How many times the Python worker started the task. */
function pythonRuns(worker: ManagedProcess, id: string): number {
  return worker.output.split('\n').filter((line) => line.includes(`RAN interop.sleep ${id}`))
    .length;
}

describe('SIGKILL of one of two workers, Node and Python, sharing a Redis queue', () => {
  it('the Node worker dies mid-task: a Python worker restores the message and runs it once', async () => {
    const queue = uniqueName('shared-kill-node');
    const node = await nodeWorker(queue);
    const result = await producer.send<number>('interop.sleep', [2], { queue });
    await node.waitFor(new RegExp(`EVENT task-started ${result.id}`), 10_000);
    await node.kill('SIGKILL');
    await pastVisibilityTimeout();
    const python = await pythonWorker(queue);

    await expect(result.get({ timeout: 60_000 })).resolves.toBe(2);
    expect(countEvents(node, 'task-succeeded', result.id)).toBe(0);
    expect(pythonRuns(python, result.id)).toBe(1);
    expect(await producer.backend.get(result.id)).toMatchObject({ status: 'SUCCESS' });
  }, 120_000);

  it('the Python worker dies mid-task: the Node worker restores the message and runs it once', async () => {
    const queue = uniqueName('shared-kill-py');
    const python = await pythonWorker(queue);
    // Long enough to outlast the Node worker's start; the Node run is what the test waits for.
    const result = await producer.send<number>('interop.sleep', [15], { queue });
    await python.waitFor(new RegExp(`RAN interop.sleep ${result.id}`), 10_000);
    const node = await nodeWorker(queue);
    await python.kill('SIGKILL');

    await node.waitFor(/Restored 1 message\(s\) left unacknowledged/, 20_000);
    await expect(result.get({ timeout: 60_000 })).resolves.toBe(15);
    await node.waitFor(new RegExp(`EVENT task-succeeded ${result.id}`), 5_000);
    expect(countEvents(node, 'task-started', result.id)).toBe(1);
  }, 120_000);
});
