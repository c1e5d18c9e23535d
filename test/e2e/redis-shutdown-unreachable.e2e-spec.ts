import { Injectable, Logger } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Task, TaskClient, type AsyncResult } from 'celeriac';
import { RedisBroker, type RedisBrokerOptions } from 'celeriac/redis';
import { PrivateRedisServer } from '../support/redis-test-server.js';
import { createTaskQueueApp } from '../support/task-queue-app.js';
import { uniqueName } from '../support/unique-name.js';

// A worker shuts down (SIGTERM: app.close()) holding a running task and prefetched ones while
// its Redis broker cannot answer: down (killed), or hung (SIGSTOP: the connections stay open and
// nothing answers, as behind a network partition that drops packets). Giving the tasks back
// cannot reach Redis: the shutdown must still end, say what it could not give back, and lose
// nothing (the entries stay in `unacked`; a worker restores them after the visibility timeout).

let server: PrivateRedisServer;

beforeAll(async () => {
  server = await PrivateRedisServer.start({ durable: true });
});

afterAll(async () => {
  server?.resume();
  await server?.destroy();
});

/** Runs per key; each test's tasks wait for its own gate (keyed by queue). */
const runs = new Map<string, number>();
const gates = new Map<string, { opened: Promise<void>; open: () => void }>();

function gateOf(queue: string): { opened: Promise<void>; open: () => void } {
  let gate = gates.get(queue);
  if (!gate) {
    let open: () => void = () => undefined;
    const opened = new Promise<void>((resolve) => (open = resolve));
    gate = { opened, open };
    gates.set(queue, gate);
  }
  return gate;
}

@Injectable()
class GatedTasks {
  @Task('unreachable.wait')
  async wait(queue: string, key: string): Promise<string> {
    runs.set(key, (runs.get(key) ?? 0) + 1);
    await gateOf(queue).opened;
    return key;
  }
}

async function app(queue: string, options: RedisBrokerOptions): Promise<TestingModule> {
  const broker = new RedisBroker(server.url, {
    visibilityTimeout: 2,
    restoreInterval: 250,
    ...options,
  });
  return createTaskQueueApp(
    {
      broker,
      resultBackend: `memory://unreachable-${queue}`,
      defaultQueue: queue,
      events: { enabled: false },
      worker: {
        queues: [queue],
        concurrency: 1,
        prefetch: 4,
        shutdownTimeout: 200,
      },
    },
    { providers: [GatedTasks] },
  );
}

/**
 * Sends four gated tasks to a worker, waits until it runs the first, closes it while
 * `unreachable` holds Redis away (then `reachable` gives it back), and returns the log lines of
 * the close, its duration, and the tasks' results as a second worker finishes them.
 */
async function closeWhileUnreachable(
  options: RedisBrokerOptions,
  unreachable: () => Promise<void> | void,
  reachable: () => Promise<void> | void,
): Promise<{ lines: string; closeMs: number; values: string[]; keys: string[] }> {
  const queue = uniqueName('unreachable');
  const keys = Array.from({ length: 4 }, (_, i) => `${queue}-${i}`);
  const first = await app(queue, options);
  const sent: AsyncResult<string>[] = [];
  for (const key of keys)
    sent.push(await first.get(TaskClient).send<string>('unreachable.wait', [queue, key]));
  await expect.poll(() => runs.get(keys[0]!), { timeout: 10_000 }).toBe(1);

  const lines: string[] = [];
  const capture = (line: unknown): void => void lines.push(String(line));
  const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(capture);
  const error = vi.spyOn(Logger.prototype, 'error').mockImplementation(capture);
  await unreachable();
  const started = Date.now();
  try {
    await first.close();
  } finally {
    warn.mockRestore();
    error.mockRestore();
  }
  const closeMs = Date.now() - started;
  await reachable();
  gateOf(queue).open();
  const second = await app(queue, options);
  try {
    const values = await Promise.all(
      sent.map((r) => second.get(TaskClient).result<string>(r.id).get({ timeout: 20_000 })),
    );
    return { lines: lines.join('\n'), closeMs, values, keys };
  } finally {
    await second.close();
  }
}

describe('Redis worker shut down while Redis cannot answer', () => {
  it('down: ends, says once what it could not give back, and loses no task', async () => {
    const { lines, values, keys } = await closeWhileUnreachable(
      { publishTimeout: 1_000 },
      () => server.kill(),
      () => server.restart(),
    );
    expect(lines).toMatch(/Could not (requeue|give back)/);
    expect(lines).toMatch(/visibility timeout/);
    expect(values).toEqual(keys);
  }, 60_000);

  it('hung: waits for one unanswered command, not one per step; says what it left; loses no task', async () => {
    // publishTimeout left at its default (10 s): the waits the shutdown must not add up (each
    // step, remote control's unsubscribe, the requeues, the give-back and QUIT on close,
    // waiting its own full timeout in turn took 50 s past shutdownTimeout).
    const { lines, closeMs, values, keys } = await closeWhileUnreachable(
      {},
      () => server.pause(),
      () => server.resume(),
    );
    // One wait of remote control's 5 s answer timeout, the 200 ms shutdownTimeout, a loaded
    // machine's margin.
    expect(closeMs).toBeLessThan(12_000);
    expect(lines).toMatch(/Could not requeue \d+ message\(s\): Redis has not answered a command/);
    expect(lines).toMatch(/after the visibility timeout/);
    // Nothing after the close claims it will retry.
    expect(lines).not.toMatch(/Will retry|Renewing the lease/);
    expect(values).toEqual(keys);
  }, 90_000);
});
