import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, INTEROP_MAIN as MAIN, ROOT } from '../support/interop-build.js';
import { REDIS_URL } from '../support/redis-test-server.js';

/**
 * Real Python Celery 5.2 builds canvases (chain, link, chord, link_error, failing chord) whose
 * every task runs on a Celeriac worker (the interop app, a child process): the worker must
 * continue chains, apply callbacks and errbacks, and join chords on Redis exactly like a
 * Python worker, and Python reads the final results.
 */
const SCRIPT = join(ROOT, 'test/fixtures/python/canvas_interop.py');
const QUEUE = `canvas-${randomUUID()}`;

interface CanvasOutput {
  ids: string[];
  chain: number;
  chain_parents: number[];
  link: [number, number];
  chord: number;
  chord_group: string;
  fail: string;
  errback: { args: unknown[]; kwargs: Record<string, unknown> };
  failed_id: string;
  chord_error: [string, string, string];
}

/** Start the interop worker on QUEUE; resolve once it logs "ready.". */
function startWorker(): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(
    process.execPath,
    [
      MAIN,
      '--broker',
      REDIS_URL,
      '--backend',
      REDIS_URL,
      '--queues',
      QUEUE,
      '--hostname',
      `wf-${randomUUID()}@%h`,
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker not ready:\n${log}`)), 30_000);
    const onData = (chunk: Buffer): void => {
      log += chunk.toString();
      if (log.includes('ready.')) {
        clearTimeout(timer);
        resolve({ child, output: () => log });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code}:\n${log}`));
    });
  });
}

describe('canvas interop: Python Celery canvases run by a Celeriac worker on Redis', () => {
  let worker: { child: ChildProcess; output: () => string } | undefined;
  let output: CanvasOutput;
  let redis: Redis;

  beforeAll(async () => {
    redis = new Redis(REDIS_URL);
    await ensureBuilt();
    worker = await startWorker();
    const { stdout } = await promisify(execFile)('/usr/bin/python3', [SCRIPT, REDIS_URL, QUEUE], {
      cwd: ROOT,
      timeout: 120_000,
    }).catch((error: Error & { stderr?: string }) => {
      throw new Error(`${error.message}\n${error.stderr ?? ''}\nworker log:\n${worker?.output()}`);
    });
    output = JSON.parse(stdout.trim().split('\n').pop()!) as CanvasOutput;
  }, 240_000);

  afterAll(async () => {
    const child = worker?.child;
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    const keys = (output?.ids ?? []).map((id) => `celery-task-meta-${id}`);
    if (output?.chord_group) keys.push(`celery-taskset-meta-${output.chord_group}.s`);
    for (const priority of ['', '\x06\x163', '\x06\x166', '\x06\x169']) keys.push(QUEUE + priority);
    keys.push(`_kombu.binding.${QUEUE}`);
    await redis.del(...keys);
    redis.disconnect();
  }, 30_000);

  it('chain(add.s(2,2), add.s(4), add.s(8)): the Node worker pops each step; Python reads 16', () => {
    expect(output.chain).toBe(16);
    expect(output.chain_parents).toEqual([8, 4]);
  });

  it('add.apply_async((1,1), link=add.s(10)): 2, then the callback add(2, 10) = 12', () => {
    expect(output.link).toEqual([2, 12]);
  });

  it('chord([add.s(i,i) for i in range(5)])(tsum.s()): the native Redis join publishes the body: 20', async () => {
    expect(output.chord).toBe(20);
    // The join keys are deleted once the body is published.
    expect(await redis.exists(`celery-taskset-meta-${output.chord_group}.j`)).toBe(0);
  });

  it('link_error: the errback receives the failed task id first', () => {
    expect(output.fail).toBe('InteropError');
    expect(output.errback.args).toEqual([output.failed_id, 'errback']);
  });

  it('a failing chord header member fails the body with ChordError', () => {
    const [state, type, message] = output.chord_error;
    expect([state, type]).toEqual(['FAILURE', 'ChordError']);
    expect(message).toMatch(/^Dependency [0-9a-f-]{36} raised InteropError\('header'\)$/);
  });
});
