import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type Broker, getBrokerToken, TaskQueueModule, WorkerHttpServer } from 'celeriac';
import { AmqpBroker } from 'celeriac/amqp';
import { TaskQueueMetricsModule } from 'celeriac/prometheus';
import { Redis } from 'ioredis';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ScrapeFixture } from './scrape-fixture.js';

/**
 * `npm run bench -- --scrape [--queues 100] [--scrapes 500] [--broker redis|amqp]`: the
 * latency of one `/metrics` scrape of a worker-only process exporting `--queues` queues (each
 * with messages in every priority band and one dead letter, and on Redis one parked ETA
 * message), over its `worker.http` server on loopback, fetched by a scraper process of its own
 * as Prometheus would, and the broker's part alone (Redis: one Lua call for all queues;
 * RabbitMQ: the passive declares, or the management API with `BENCH_AMQP_MANAGEMENT_URL`).
 * Prints p50 / p99 / max of each and the load average (the machine is shared: read with care);
 * `--json FILE` writes the same figures to FILE. The queues are named `scrape-<uuid>-<n>` and
 * deleted at the end, on an error and on Ctrl-C (see ScrapeFixture).
 */
export async function runScrapeBench(argv: string[]): Promise<void> {
  const arg = (name: string, fallback: number) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? Number(argv[i + 1]) : fallback;
  };
  const amqp = argv[argv.indexOf('--broker') + 1] === 'amqp';
  const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/0';
  const url = amqp ? (process.env.BENCH_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672') : redisUrl;
  const managementUrl = amqp ? process.env.BENCH_AMQP_MANAGEMENT_URL : undefined;
  const count = arg('queues', 100);
  const scrapes = arg('scrapes', 500);
  const prefix = `scrape-${randomUUID()}`;
  const queues = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);

  @Module({
    imports: [
      TaskQueueModule.forRoot({
        broker: managementUrl ? new AmqpBroker(url, { managementUrl }) : url,
        resultBackend: false,
        defaultQueue: queues[0],
        worker: { enabled: false, http: { port: 0, host: '127.0.0.1' }, banner: false },
      }),
      TaskQueueMetricsModule.forRoot({ queues, path: false }),
    ],
  })
  class ScrapeBenchModule {}

  const app = await NestFactory.createApplicationContext(ScrapeBenchModule, { logger: ['error'] });
  const fixture = new ScrapeFixture(prefix, queues, redisUrl, amqp ? url : undefined);
  let stopping = false;
  const removeSignalHandler = fixture.onStopSignal(() => (stopping = true));
  const redis = amqp ? undefined : new Redis(redisUrl);
  const loadBefore = loadavg()[0]!;
  try {
    const broker = app.get<Broker>(getBrokerToken());
    await fixture.fill(broker);
    const endpoint = `http://127.0.0.1:${app.get(WorkerHttpServer).address!.port}/metrics`;
    const scraper = startScraper();
    const scrape = () => scraper.get(endpoint);
    for (let i = 0; i < 20 && !stopping; i++) await scrape();
    const times: number[] = [];
    const direct: number[] = [];
    // This process's CPU (user + system, µs) while each scrape was served, and per direct call.
    const scrapeCpu: number[] = [];
    const directCpu: number[] = [];
    const profiler = await startProfiler(argv);
    const evalshaBefore = redis ? await evalshaStats(redis) : undefined;
    // Each scrape after the 500 ms the snapshot is reused for, so every one reads the broker.
    for (let i = 0; i < scrapes && !stopping; i++) {
      await new Promise((r) => setTimeout(r, 510));
      let cpu = process.cpuUsage();
      times.push(await scrape());
      scrapeCpu.push(cpuMicros(process.cpuUsage(cpu)));
      if (argv.includes('--no-direct')) continue;
      // The broker part alone: the one EVALSHA of queueStats-3.lua, or the AMQP reads.
      cpu = process.cpuUsage();
      const started = performance.now();
      await broker.queueStats!(queues);
      direct.push(performance.now() - started);
      directCpu.push(cpuMicros(process.cpuUsage(cpu)));
    }
    await profiler?.stop();
    scraper.close();
    if (times.length === 0) return;
    const on = amqp ? (managementUrl ? 'RabbitMQ, management API' : 'RabbitMQ') : 'Redis';
    const loadAfter = loadavg()[0]!;
    console.log(
      `scrape of ${count} ${on} queues, ${times.length} scrapes (load average ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after):`,
    );
    console.log(`  GET /metrics over HTTP     ${formatPercentiles(times)}`);
    if (direct.length) console.log(`  queueStats alone          ${formatPercentiles(direct)}`);
    let redisUs: number | undefined;
    let redisCpuUs: number | undefined;
    if (redis && evalshaBefore) {
      const evalshaAfter = await evalshaStats(redis);
      const calls = evalshaAfter.calls - evalshaBefore.calls;
      redisUs = (evalshaAfter.usec - evalshaBefore.usec) / calls;
      redisCpuUs = ((evalshaAfter.cpu - evalshaBefore.cpu) * 1e6) / calls;
      console.log(
        `  Redis time per EVALSHA     ${redisUs.toFixed(0)} µs (INFO commandstats; exact on a private Redis)`,
      );
      console.log(
        `  Redis CPU per EVALSHA      ${redisCpuUs.toFixed(0)} µs (INFO cpu, main thread: the whole server while measuring)`,
      );
    }
    // CPU time (user + system, every thread of this process: V8's GC helpers too), which a
    // loaded machine's scheduling does not inflate as it does wall time. (The event loop's
    // utilization, printed before, is not CPU: it counted most of the waits as busy.)
    console.log(
      `  worker CPU per scrape      median ${median(scrapeCpu).toFixed(0)} µs` +
        (directCpu.length ? `; per direct queueStats call ${median(directCpu).toFixed(0)} µs` : ''),
    );
    const jsonAt = argv.indexOf('--json');
    if (jsonAt >= 0) {
      const file = argv[jsonAt + 1]!;
      const run = {
        date: new Date().toISOString(),
        broker: on,
        queues: count,
        scrapes: times.length,
        loadAverage: { before: loadBefore, after: loadAfter },
        http: percentiles(times),
        queueStats: direct.length ? percentiles(direct) : null,
        workerCpuUsPerScrape: median(scrapeCpu),
        workerCpuUsPerQueueStatsCall: directCpu.length ? median(directCpu) : null,
        redisCpuUsPerEvalsha: redisUs ?? null,
        redisMainThreadCpuUsPerEvalsha: redisCpuUs ?? null,
      };
      writeFileSync(file, `${JSON.stringify(run, null, 2)}\n`);
      console.log(`  figures written to ${file}`);
    }
  } finally {
    await fixture.cleanUp();
    removeSignalHandler();
    redis?.disconnect();
    await app.close();
  }
}

/** `--cpu-prof DIR`: a CPU profile of the measured scrapes only (not the set-up), written to DIR. */
async function startProfiler(argv: string[]): Promise<{ stop(): Promise<void> } | undefined> {
  const i = argv.indexOf('--cpu-prof');
  if (i < 0) return undefined;
  const dir = argv[i + 1]!;
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) =>
      session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))),
    );
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 100 });
  await post('Profiler.start');
  return {
    async stop() {
      const { profile } = (await post('Profiler.stop')) as { profile: object };
      session.disconnect();
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `scrape-${Date.now()}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      console.log(`  CPU profile of the scrapes: ${file}`);
    },
  };
}

/** The scraper child (workers/scraper.ts): `get(url)` resolves with the scrape's ms. */
function startScraper(): { get(url: string): Promise<number>; close(): void } {
  const child = spawn(
    process.execPath,
    [fileURLToPath(new URL('./workers/scraper.js', import.meta.url))],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const waiting: ((line: string) => void)[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => waiting.shift()?.(line));
  return {
    get: (url) =>
      new Promise((resolve, reject) => {
        waiting.push((line) => {
          const ms = Number(line.split(' ')[0]);
          if (Number.isFinite(ms)) resolve(ms);
          else reject(new Error(`scrape failed: ${line}`));
        });
        child.stdin!.write(`GET ${url}\n`);
      }),
    close: () => child.stdin!.end(),
  };
}

/**
 * EVALSHA calls and µs so far (INFO commandstats: time inside the call, which a busy machine's
 * scheduling inflates), and the CPU seconds of Redis's main thread (INFO cpu: not inflated).
 */
async function evalshaStats(redis: Redis): Promise<{ calls: number; usec: number; cpu: number }> {
  const info = await redis.info('all');
  const line = info.split('\n').find((l) => l.startsWith('cmdstat_evalsha:'));
  const seconds = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? NaN);
  return {
    calls: Number(/calls=(\d+)/.exec(line ?? '')?.[1] ?? 0),
    usec: Number(/usec=(\d+)/.exec(line ?? '')?.[1] ?? 0),
    cpu: seconds('used_cpu_user_main_thread') + seconds('used_cpu_sys_main_thread'),
  };
}

function cpuMicros({ user, system }: NodeJS.CpuUsage): number {
  return user + system;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

/** p50 / p99 / max of durations in ms. */
function percentiles(times: number[]): { p50: number; p99: number; max: number } {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
  const round = (ms: number) => Math.round(ms * 100) / 100;
  return { p50: round(at(0.5)), p99: round(at(0.99)), max: round(at(1)) };
}

function formatPercentiles(times: number[]): string {
  const { p50, p99, max } = percentiles(times);
  return `p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, max ${max.toFixed(2)} ms`;
}
