import 'reflect-metadata';
import { type DynamicModule, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Queue, Worker } from 'bullmq';
import { type PoolKind, TaskClient, TaskQueueModule, WorkerService } from 'celeriac';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { firstValueFrom } from 'rxjs';
import { fileURLToPath } from 'node:url';
import { BenchPoolTasks } from './pools/bench-pool.tasks.js';
import { redisConnection } from './redis-url.js';

/**
 * `npm run bench -- --pools [--n N] [--cpu-n N] [--rounds R] [--in-flight K]`: isolate pools
 * against BullMQ's sandboxed processors, on the local Redis, in one run. Each system drains a
 * pre-filled queue (no result stored, BullMQ removeOnComplete): no-op tasks, then CPU-bound
 * ones (~1 ms each). Systems alternate for R rounds; the report gives median rates, the
 * overhead per task against the same system inline, and Celeriac threads against BullMQ's
 * sandboxes. Isolates boot before the clock starts (BullMQ's children start on first job).
 */
const REDIS = 'redis://127.0.0.1:6379/0';
type System =
  `celeriac-${PoolKind}` | 'bullmq-inline' | 'bullmq-sandbox-process' | 'bullmq-sandbox-threads';
const SYSTEMS: System[] = [
  'celeriac-inline',
  'celeriac-threads',
  'celeriac-processes',
  'bullmq-inline',
  'bullmq-sandbox-process',
  'bullmq-sandbox-threads',
];
const CONCURRENCY = 64;
const SANDBOX_CONCURRENCY = 8;
const WARMUP = 2 * SANDBOX_CONCURRENCY;
const ISOLATES = 2;
const CPU_UNITS = 10;

@Module({})
class BenchPoolModule {
  static forRoot(queue: string, pool: PoolKind, inFlight: number, consume: boolean): DynamicModule {
    return {
      module: BenchPoolModule,
      providers: [BenchPoolTasks],
      imports: [
        TaskQueueModule.forRoot({
          broker: REDIS,
          resultBackend: false,
          defaultQueue: queue,
          events: { enabled: false },
          worker: {
            enabled: consume,
            banner: false,
            concurrency: CONCURRENCY,
            pool,
            isolates: {
              module: new URL('./pools/bench-pool.tasks.js', import.meta.url).href,
              export: 'BenchPoolIsolateModule',
              size: ISOLATES,
              spare: 0,
              inFlight,
            },
          },
        }),
      ],
    };
  }
}

function arg(argv: string[], name: string, fallback: number): number {
  const at = argv.indexOf(name);
  return at >= 0 ? Number(argv[at + 1]) : fallback;
}

async function fillCeleriac(queue: string, n: number, cpu: boolean): Promise<void> {
  const app = await NestFactory.createApplicationContext(
    BenchPoolModule.forRoot(queue, 'inline', 1, false),
    { logger: ['error', 'warn'] },
  );
  const client = app.get(TaskClient);
  const name = cpu ? 'bench.pool_cpu' : 'bench.pool_noop';
  for (let i = 0; i < n; i += 256) {
    const batch = Math.min(256, n - i);
    await Promise.all(
      Array.from({ length: batch }, () => client.send(name, cpu ? [CPU_UNITS] : [])),
    );
  }
  await app.close();
}

/** Drain `n` pre-filled tasks with a Celeriac worker; resolves tasks/s. */
async function celeriac(
  pool: PoolKind,
  n: number,
  cpu: boolean,
  inFlight: number,
): Promise<number> {
  const queue = `bench-pool-${randomUUID()}`;
  await fillCeleriac(queue, n, cpu);
  const app = await NestFactory.createApplicationContext(
    BenchPoolModule.forRoot(queue, pool, inFlight, false),
    { logger: ['error', 'warn'] },
  );
  await app.init();
  const worker = app.get(WorkerService);
  const redis = new Redis(REDIS);
  redis.on('error', (error: Error) => console.warn(`[pools bench] ${error.message}`));
  try {
    const started = firstValueFrom(worker.started$);
    const begin = performance.now();
    void worker.start();
    await started;
    // The pool booted inside start(): the clock runs from the first message taken.
    const t0 = pool === 'inline' ? begin : performance.now();
    for (;;) {
      if ((await redis.llen(queue)) === 0 && worker.idle) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    return n / ((performance.now() - t0) / 1000);
  } finally {
    redis.disconnect();
    await app.close();
  }
}

/** Drain `n` pre-filled jobs with a BullMQ worker (inline function or sandboxed file). */
async function bullmq(system: System, n: number, cpu: boolean): Promise<number> {
  const name = `bench-pool-${randomUUID()}`;
  const connection = redisConnection(REDIS);
  const queue = new Queue(name, { connection });
  const data = { units: cpu ? CPU_UNITS : 0 };
  const fill = async (count: number): Promise<void> => {
    for (let i = 0; i < count; i += 1000) {
      const batch = Math.min(1000, count - i);
      await queue.addBulk(
        Array.from({ length: batch }, () => ({
          name: 'job',
          data,
          opts: { removeOnComplete: true },
        })),
      );
    }
  };
  const file = fileURLToPath(new URL('./pools/bullmq-pool.processor.js', import.meta.url));
  const processor =
    system === 'bullmq-inline' ? (await import('./pools/bullmq-pool.processor.js')).default : file;
  const worker = new Worker(name, processor, {
    connection,
    // A sandbox runs one child (or thread) per concurrent job: 64 children on 2 cores only
    // thrash, so the sandboxes get 8.
    concurrency: system === 'bullmq-inline' ? CONCURRENCY : SANDBOX_CONCURRENCY,
    autorun: false,
    useWorkerThreads: system === 'bullmq-sandbox-threads',
  });
  let done = 0;
  let target = WARMUP;
  let reached: () => void = () => undefined;
  worker.on('completed', () => {
    if (++done === target) reached();
  });
  await worker.waitUntilReady();
  // Warm-up outside the clock: the sandbox starts its children (Celeriac's isolates boot
  // before the clock too).
  const warm = new Promise<void>((resolve) => (reached = resolve));
  await fill(WARMUP);
  void worker.run();
  await warm;
  // Pre-filled while paused, as Celeriac's queue is.
  await worker.pause(true);
  await fill(n);
  const finished = new Promise<void>((resolve) => (reached = resolve));
  target = WARMUP + n;
  const t0 = performance.now();
  worker.resume();
  await finished;
  const rate = n / ((performance.now() - t0) / 1000);
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return rate;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  return Number.isInteger(mid) ? (sorted[mid - 1]! + sorted[mid]!) / 2 : sorted[Math.floor(mid)]!;
}

export async function runPoolsBench(argv: string[]): Promise<void> {
  const n = arg(argv, '--n', 20_000);
  const cpuN = arg(argv, '--cpu-n', 2_000);
  const rounds = arg(argv, '--rounds', 3);
  const inFlight = arg(argv, '--in-flight', 32);
  console.log(
    `Pools bench: no-op n=${n}, CPU (~${CPU_UNITS / 10} ms) n=${cpuN}, ${rounds} rounds, ` +
      `${ISOLATES} isolates × ${inFlight} in flight, worker concurrency ${CONCURRENCY}.`,
  );
  const rates: Record<string, number[]> = {};
  for (let round = 1; round <= rounds; round++) {
    for (const workload of ['noop', 'cpu'] as const) {
      for (const system of SYSTEMS) {
        const count = workload === 'cpu' ? cpuN : n;
        const cpu = workload === 'cpu';
        const rate = system.startsWith('celeriac-')
          ? await celeriac(system.slice(9) as PoolKind, count, cpu, inFlight)
          : await bullmq(system, count, cpu);
        (rates[`${workload} ${system}`] ??= []).push(rate);
        console.log(`  round ${round} ${workload} ${system}: ${Math.round(rate)} tasks/s`);
      }
    }
  }
  report(rates);
  process.exit(0);
}

function report(rates: Record<string, number[]>): void {
  const med = (key: string): number => median(rates[key] ?? []);
  console.log('\nMedians (tasks/s) and overhead per task against the same system inline:');
  for (const workload of ['noop', 'cpu']) {
    for (const system of SYSTEMS) {
      const rate = med(`${workload} ${system}`);
      const inline = med(
        `${workload} ${system.startsWith('celeriac') ? 'celeriac' : 'bullmq'}-inline`,
      );
      const overhead = (1 / rate - 1 / inline) * 1e6;
      console.log(
        `  ${workload.padEnd(5)} ${system.padEnd(24)} ${String(Math.round(rate)).padStart(7)}` +
          (system.endsWith('inline')
            ? ''
            : `   ${overhead >= 0 ? '+' : ''}${overhead.toFixed(1)} µs/task`),
      );
    }
    const threads = med(`${workload} celeriac-threads`);
    const processes = med(`${workload} celeriac-processes`);
    console.log(
      `  ${workload}: celeriac threads / BullMQ sandbox threads ${(threads / med(`${workload} bullmq-sandbox-threads`)).toFixed(2)}×, ` +
        `/ sandbox process ${(threads / med(`${workload} bullmq-sandbox-process`)).toFixed(2)}×; ` +
        `celeriac processes / sandbox process ${(processes / med(`${workload} bullmq-sandbox-process`)).toFixed(2)}×`,
    );
  }
}
