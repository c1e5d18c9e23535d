import type { BenchEnv } from './bench-env.js';
import { commandStats, perTask, redisCpuSeconds } from './command-stats.js';
import { wallNow } from './ipc.js';
import { offerLoad, quantile, sendMany } from './load.js';
import { type Producer, pythonPrefill } from './producers.js';
import { pythonWireProducer } from './python-wire.producer.js';
import type { ScenarioName, Target } from './targets.js';
import type { WorkerHandle } from './worker-handle.js';

/** Publishes kept in flight by the enqueue loops (both systems). */
export const SEND_WINDOW = 256;

/** One measurement. Rates are tasks/s; latencies ms. */
export interface ScenarioResult {
  system: string;
  broker: string;
  scenario: ScenarioName;
  n: number;
  rate?: number;
  p50?: number;
  p90?: number;
  p99?: number;
  /** Latency: p99 of every task, the warm-up's included (`p50` / `p99` leave them out). */
  p99Cold?: number;
  max?: number;
  peakRssMb?: number;
  /** Worker CPU while measuring, % of one core. */
  cpuPct?: number;
  /** Worker CPU microseconds per task: robust to a shared, busy machine. */
  cpuUsPerTask?: number;
  /**
   * Node workers: of `cpuUsPerTask`, the main thread's; the rest is V8's background threads
   * (optimizing compiler, parallel garbage collection) and libuv's.
   */
  mainUsPerTask?: number;
  /** e2e: CPU microseconds per task of the bench process, which produces (and reports). */
  producerUsPerTask?: number;
  /** Redis server CPU microseconds per task (INFO cpu; server-wide, so other clients add noise). */
  redisUsPerTask?: number;
  /** Redis commands per task (e2e with --commandstats). */
  commands?: Record<string, number>;
  error?: string;
}

/** Scenario parameters. */
export interface ScenarioPlan {
  n: number;
  rate: number;
  latencySeconds: number;
  /** Latency: seconds of load offered first, whose tasks the percentiles leave out. */
  latencyWarmupSeconds: number;
  commandStats: boolean;
  repeat: number;
}

/** Run one scenario of one target on a fresh queue and a fresh worker process. */
export async function runScenario(
  env: BenchEnv,
  target: Target,
  scenario: ScenarioName,
  plan: ScenarioPlan,
): Promise<ScenarioResult> {
  const label = `${target.system}/${target.broker} ${scenario} #${plan.repeat}`;
  const queue = env.queue(
    [target.system, target.broker, scenario, String(plan.repeat)],
    target.broker === 'amqp',
  );
  const result: ScenarioResult = {
    system: target.system,
    broker: target.broker,
    scenario,
    n: plan.n,
  };
  console.log(`  ${label}: n=${plan.n} queue=${queue}`);
  const producer =
    scenario === 'e2e-py'
      ? await pythonWireProducer(
          target.broker,
          target.brokerUrl,
          queue,
          env.queue(
            [target.system, target.broker, scenario, String(plan.repeat), 'capture'],
            target.broker === 'amqp',
          ),
        )
      : await target.producer(queue);
  let worker: WorkerHandle | undefined;
  try {
    const timeout = Math.max(60_000, plan.n * 5);
    if (scenario === 'enqueue') {
      const t0 = wallNow();
      await sendMany(plan.n, SEND_WINDOW, producer.send);
      result.rate = plan.n / ((wallNow() - t0) / 1000);
    } else if (scenario === 'e2e' || scenario === 'e2e-py') {
      worker = await target.worker(queue, label);
      await worker.start(plan.n, false);
      const before =
        plan.commandStats && target.broker === 'redis' ? await commandStats(env.admin) : null;
      const redis0 = await redisCpuSeconds(env.admin);
      const t0 = wallNow();
      const cpu0 = process.cpuUsage();
      await sendMany(plan.n, SEND_WINDOW, producer.send);
      const done = await worker.waitDone(timeout);
      const cpu = process.cpuUsage(cpu0);
      result.producerUsPerTask = (cpu.user + cpu.system) / plan.n;
      result.redisUsPerTask = (((await redisCpuSeconds(env.admin)) - redis0) * 1e6) / plan.n;
      const seconds = (done.lastAt - t0) / 1000;
      result.rate = plan.n / seconds;
      usage(result, worker, seconds);
      if (before) result.commands = perTask(before, await commandStats(env.admin), plan.n);
    } else if (scenario === 'drain' || scenario === 'drain-py') {
      if (target.workerBeforePrefill) worker = await target.worker(queue, label);
      if (scenario === 'drain') await sendMany(plan.n, SEND_WINDOW, producer.send);
      else await pythonPrefill(target.brokerUrl, queue, plan.n);
      worker ??= await target.worker(queue, label);
      const redis0 = await redisCpuSeconds(env.admin);
      await worker.start(plan.n, false);
      const done = await worker.waitDone(timeout);
      result.redisUsPerTask = (((await redisCpuSeconds(env.admin)) - redis0) * 1e6) / plan.n;
      // Node workers: from the start command; Celery (boots consuming): first to last completion.
      const seconds = done.startedAt
        ? (done.lastAt - done.startedAt) / 1000
        : (done.lastAt - done.firstAt) / 1000;
      result.rate = (done.startedAt ? plan.n : plan.n - 1) / seconds;
      usage(result, worker, seconds);
    } else {
      await latency(result, target, queue, label, producer, plan, (w) => (worker = w));
    }
  } catch (error) {
    result.error = (error as Error).message;
    console.log(`  ${label}: FAILED ${result.error}`);
  } finally {
    await worker?.stop().catch(() => undefined);
    await producer.close().catch(() => undefined);
  }
  if (!result.error) console.log(`  ${label}: ${describe(result)}`);
  return result;
}

async function latency(
  result: ScenarioResult,
  target: Target,
  queue: string,
  label: string,
  producer: Producer,
  plan: ScenarioPlan,
  keep: (worker: WorkerHandle) => void,
): Promise<void> {
  const worker = await target.worker(queue, label);
  keep(worker);
  // One steady offered load; the first `latencyWarmupSeconds` of it warm the worker up (JIT,
  // connections, lazy paths) and are left out of the percentiles, as a long-running worker's.
  const seconds = plan.latencyWarmupSeconds + plan.latencySeconds;
  const total = Math.round(plan.rate * seconds);
  result.n = total;
  await worker.start(total, true);
  const t0 = wallNow();
  const offered = await offerLoad(plan.rate, seconds, producer.send);
  const done = await worker.waitDone(Math.max(60_000, total * 5));
  const completed = new Map(done.times);
  const latencies = offered.map((o) => (completed.get(o.id) ?? NaN) - o.sentAt);
  if (latencies.some(Number.isNaN)) throw new Error('a task completed without a known send time');
  const measuredFrom = offered[0]!.sentAt + plan.latencyWarmupSeconds * 1000;
  const steady = latencies.filter((_, i) => offered[i]!.sentAt >= measuredFrom);
  result.rate = total / ((done.lastAt - t0) / 1000);
  result.p50 = quantile(steady, 0.5);
  result.p90 = quantile(steady, 0.9);
  result.p99 = quantile(steady, 0.99);
  result.p99Cold = quantile(latencies, 0.99);
  result.max = Math.max(...steady);
  usage(result, worker, (done.lastAt - t0) / 1000);
}

function usage(result: ScenarioResult, worker: WorkerHandle, seconds: number): void {
  const used = worker.usage();
  result.peakRssMb = used.peakRssMb;
  result.cpuPct = (used.cpuSeconds / seconds) * 100;
  result.cpuUsPerTask = (used.cpuSeconds * 1e6) / result.n;
  if (used.mainThreadCpuSeconds !== undefined) {
    result.mainUsPerTask = (used.mainThreadCpuSeconds * 1e6) / result.n;
  }
}

/** One-line summary of a result. */
export function describe(r: ScenarioResult): string {
  const parts = [`${Math.round(r.rate ?? 0)}/s`];
  if (r.p50 !== undefined) {
    parts.push(
      `p50 ${r.p50.toFixed(2)} ms, p90 ${r.p90!.toFixed(2)} ms, p99 ${r.p99!.toFixed(2)} ms, max ${r.max!.toFixed(2)} ms`,
    );
  }
  if (r.p99Cold !== undefined) parts.push(`p99 with the warm-up ${r.p99Cold.toFixed(2)} ms`);
  if (r.peakRssMb !== undefined) parts.push(`RSS ${r.peakRssMb.toFixed(0)} MB`);
  if (r.cpuPct !== undefined) {
    const main = r.mainUsPerTask === undefined ? '' : `, main thread ${r.mainUsPerTask.toFixed(0)}`;
    parts.push(`CPU ${r.cpuPct.toFixed(0)}% (${r.cpuUsPerTask!.toFixed(0)} µs/task${main})`);
  }
  return parts.join(', ');
}
