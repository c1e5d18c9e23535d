import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, POOLS_MODULE, ROOT } from '../support/interop-build.js';
import { ManagedProcess, stopAll, uniqueName } from '../support/interop-processes.js';
import { InteropProducer } from '../support/interop-producer.js';
import { REDIS_URL } from '../support/redis-test-server.js';

/**
 * A worker process is SIGKILLed while a `processes` pool child spins in a synchronous loop:
 * the child never sees the IPC channel close (its event loop is blocked), yet it must not spin
 * on as an orphan. It has to go within a couple of seconds, like its idle sibling.
 */
const isolates = new Set<number>();

/** The pids of `pid`'s child processes running the isolate entry. */
function isolatesOf(pid: number): number[] {
  const found: number[] = [];
  for (const line of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ')) {
    const child = Number(line);
    if (!child) continue;
    const cmd = readFileSync(`/proc/${child}/cmdline`, 'utf8');
    if (cmd.includes('isolate-entry')) found.push(child);
  }
  return found;
}

/** CPU time (user + system clock ticks) `pid` has used; undefined once it is gone. */
function cpuTicks(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    if (fields[0] === 'Z') return undefined;
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

async function until<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(() => ensureBuilt(), 180_000);
afterAll(async () => {
  for (const pid of isolates) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone, as it should be
    }
  }
  await stopAll();
});

describe('processes pool: the worker is SIGKILLed', () => {
  it('a child busy in a synchronous loop exits too, within seconds', async () => {
    const queue = uniqueName('pools-orphans');
    const worker = new ManagedProcess(
      'pool-worker',
      spawn(
        process.execPath,
        ['test/fixtures/transaction-run-ts.mjs', 'test/fixtures/pool-worker.ts', POOLS_MODULE],
        {
          cwd: ROOT,
          env: { ...process.env, POOLS_BROKER: REDIS_URL, POOLS_QUEUE: queue },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      ),
    );
    await worker.waitFor(/^ready$/m, 60_000);
    const children = isolatesOf(worker.child.pid!);
    expect(children).toHaveLength(2);
    children.forEach((pid) => isolates.add(pid));

    const producer = await InteropProducer.open(REDIS_URL);
    try {
      await producer.send('pools.spin_process', [600_000], { queue });
      // One child spins: it burns half a second of CPU while we watch.
      const start = new Map(children.map((pid) => [pid, cpuTicks(pid) ?? 0]));
      await until(
        () => children.find((pid) => (cpuTicks(pid) ?? 0) - start.get(pid)! >= 50),
        30_000,
        'a child spinning',
      );
    } finally {
      await producer.close();
    }

    await worker.kill('SIGKILL');
    const killedAt = Date.now();
    await until(
      () => (children.every((pid) => cpuTicks(pid) === undefined) ? true : undefined),
      15_000,
      'both children gone',
    );
    console.log(`children gone ${Date.now() - killedAt} ms after the worker's SIGKILL`);
  });
});
