import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { cpuSeconds, peakRssMb, processTree } from './proc-stats.js';
import {
  type DoneInfo,
  progressPrinter,
  sleep,
  type WorkerHandle,
  type WorkerUsage,
} from './worker-handle.js';

/** The Python bench module (apps/bench/python), from dist/apps/bench/src. */
export const PYTHON_DIR = fileURLToPath(new URL('../../../../apps/bench/python/', import.meta.url));
export const PYTHON = '/usr/bin/python3';
const POLL_MS = 50;

/** Where the Celery worker consumes and where it writes its counters. */
export interface CeleryWorkerConfig {
  brokerUrl: string;
  backendUrl: string | null;
  queue: string;
  /** Redis URL of the counters hash (the bench's own db). */
  counterUrl: string;
  counterKey: string;
  /** Store extended results (`result_extended`), as the `add` workload does. */
  extended: boolean;
}

/** Is Python Celery importable? */
export async function celeryAvailable(): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(PYTHON, ['-c', 'import celery, redis, amqp'], { stdio: 'ignore' });
    child.on('error', () => resolve(false));
    child.on('exit', (code) => resolve(code === 0));
  });
}

/**
 * Celery 5 prefork worker (`-P prefork -c 2`, no mingle/gossip/heartbeat) running
 * apps/bench/python/celery_bench.py; completions are read from the counters hash it writes.
 */
export class CeleryWorkerProcess implements WorkerHandle {
  private expect = 0;
  private cpuAtStart = 0;
  private pids: number[] = [];
  private exited = false;

  private constructor(
    private readonly child: ChildProcess,
    private readonly redis: Redis,
    private readonly config: CeleryWorkerConfig,
    private readonly label: string,
  ) {
    child.on('exit', () => (this.exited = true));
  }

  static spawn(config: CeleryWorkerConfig, label: string): CeleryWorkerProcess {
    const args = [
      '-m',
      'celery',
      '-A',
      'celery_bench',
      'worker',
      '-P',
      'prefork',
      '-c',
      '2',
      '--without-mingle',
      '--without-gossip',
      '--without-heartbeat',
      '-Q',
      config.queue,
    ];
    const child = spawn(PYTHON, args, {
      cwd: PYTHON_DIR,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        ...process.env,
        // Quiet the "running as root" SecurityWarning in CI containers.
        PYTHONWARNINGS: 'ignore',
        BENCH_BROKER: config.brokerUrl,
        BENCH_BACKEND: config.backendUrl ?? '',
        BENCH_QUEUE: config.queue,
        BENCH_REDIS: config.counterUrl,
        BENCH_KEY: config.counterKey,
        BENCH_EXTENDED: config.extended ? '1' : '',
      },
    });
    return new CeleryWorkerProcess(child, new Redis(config.counterUrl), config, label);
  }

  /** Waits until the worker consumes (its `ready` counter field). */
  async start(expect: number): Promise<void> {
    this.expect = expect;
    const deadline = Date.now() + 60_000;
    while (!(await this.redis.hexists(this.config.counterKey, 'ready'))) {
      if (this.exited) throw new Error(`${this.label}: Celery exited before it was ready`);
      if (Date.now() > deadline) throw new Error(`${this.label}: Celery not ready within 60 s`);
      await sleep(POLL_MS);
    }
    this.pids = processTree(this.child.pid!);
    this.cpuAtStart = cpuSeconds(this.pids);
  }

  async waitDone(timeoutMs: number): Promise<DoneInfo> {
    const deadline = Date.now() + timeoutMs;
    const progress = progressPrinter(this.label, this.expect);
    for (;;) {
      const fields = await this.redis.hgetall(this.config.counterKey);
      let count = 0;
      let firstAt = Infinity;
      let lastAt = 0;
      for (const [field, value] of Object.entries(fields)) {
        const n = Number(value);
        if (field.startsWith('c:')) count += n;
        else if (field.startsWith('f:') && n > 0) firstAt = Math.min(firstAt, n * 1000);
        else if (field.startsWith('l:')) lastAt = Math.max(lastAt, n * 1000);
      }
      if (count >= this.expect) return { count, startedAt: 0, firstAt, lastAt, times: [] };
      if (this.exited) throw new Error(`${this.label}: Celery exited (${count} done)`);
      if (Date.now() > deadline) throw new Error(`${this.label}: timed out (${count} done)`);
      progress(count);
      await sleep(POLL_MS);
    }
  }

  usage(): WorkerUsage {
    const pids = processTree(this.child.pid!);
    const all = [...new Set([...this.pids, ...pids])];
    return { peakRssMb: peakRssMb(pids), cpuSeconds: cpuSeconds(all) - this.cpuAtStart };
  }

  async stop(): Promise<void> {
    if (!this.exited) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    this.redis.disconnect();
  }
}
