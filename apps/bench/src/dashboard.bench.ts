import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Module } from '@nestjs/common';
import { TaskQueueDashboardModule } from '@celeriac/dashboard';
import { TaskQueueModule } from 'celeriac';
import { createBroadcastTransport } from 'celeriac/protocol';
import { chromium } from 'playwright-core';

/**
 * `npm run bench -- --dashboard [--rate 1000] [--seconds 20] [--json out.json]`: event → DOM
 * latency of the dashboard. A generator publishes Celery task events (received, started,
 * succeeded: one task per three events) on `celeryev` of Redis db 10 at `rate` events/s, in
 * `task.multi` batches every 10 ms as workers do; headless chromium shows the tasks view, and a
 * MutationObserver stamps the first time each (task, state) reaches the DOM. Latency = that
 * stamp minus the event's timestamp (one machine, one clock). The first 3 s are warm-up.
 */
const BROKER = 'redis://127.0.0.1:6379/10';
const TICK_MS = 10;
const WARMUP_MS = 3_000;

@Module({
  imports: [
    TaskQueueModule.forRoot({
      broker: BROKER,
      resultBackend: false,
      worker: { enabled: false, banner: false },
    }),
    TaskQueueDashboardModule.forRoot({ path: '/celeriac', public: true }),
  ],
})
class DashboardBenchModule {}

const MARKER = `
window.__marks = [];
const seen = new Set();
new MutationObserver((records) => {
  const now = Date.now();
  for (const record of records) {
    const nodes = record.type === 'attributes' ? [record.target] : [...record.addedNodes];
    for (const node of nodes) {
      if (node.nodeType !== 1 || !node.matches('tr[data-task-id]')) continue;
      const key = node.dataset.taskId + ' ' + node.dataset.state;
      if (seen.has(key)) continue;
      seen.add(key);
      window.__marks.push([node.dataset.taskId, node.dataset.state, now]);
    }
  }
}).observe(document.querySelector('main'), { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'] });
`;

function flag(argv: string[], name: string, fallback: number): number {
  const index = argv.indexOf(name);
  return index >= 0 ? Number(argv[index + 1]) : fallback;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length
    ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
    : NaN;
}

export async function runDashboardBench(argv: string[]): Promise<void> {
  const rate = flag(argv, '--rate', 1000);
  const seconds = flag(argv, '--seconds', 20);
  const jsonIndex = argv.indexOf('--json');
  const app: INestApplication = await NestFactory.create(DashboardBenchModule, {
    logger: ['error', 'warn'],
  });
  await app.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  const browser = await chromium.launch({
    executablePath: execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim(),
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  const page = await browser.newPage();
  await page.goto(`${url}/celeriac`);
  await page.waitForSelector('main h2');
  await page.evaluate(MARKER);

  const transport = await createBroadcastTransport(BROKER);
  const exchange = { name: 'celeryev', type: 'topic' as const, durable: true };
  const eventTimes = new Map<string, number>();
  const hostname = `bench-${randomUUID().slice(0, 8)}@dashboard`;
  const stages: string[][] = [[], [], []];
  let published = 0;
  let tasks = 0;
  const started = Date.now();
  const cpuBefore = process.cpuUsage();
  const end = started + WARMUP_MS + seconds * 1000;
  const event = (type: string, uuid: string, now: number, extra: Record<string, unknown> = {}) => ({
    type,
    uuid,
    hostname,
    timestamp: now / 1000,
    clock: published,
    pid: process.pid,
    utcoffset: 0,
    ...extra,
  });
  while (Date.now() < end) {
    const tickStart = Date.now();
    // Catch up with the wall clock: timers fire late, the rate must not.
    const fresh = Math.max(0, Math.floor(((tickStart - started) * rate) / 3000) - tasks);
    tasks += fresh;
    const now = Date.now();
    const batch: Record<string, unknown>[] = [];
    for (const uuid of stages[2]!)
      batch.push(event('task-succeeded', uuid, now, { result: '2', runtime: 0.01 }));
    for (const uuid of stages[1]!) batch.push(event('task-started', uuid, now));
    const born = Array.from({ length: fresh }, () => randomUUID());
    for (const uuid of born)
      batch.push(
        event('task-received', uuid, now, {
          name: 'bench.add',
          args: '(1, 1)',
          kwargs: '{}',
          retries: 0,
        }),
      );
    if (now >= started + WARMUP_MS) {
      for (const uuid of stages[2]!) eventTimes.set(`${uuid} SUCCESS`, now);
      for (const uuid of stages[1]!) eventTimes.set(`${uuid} STARTED`, now);
      for (const uuid of born) eventTimes.set(`${uuid} RECEIVED`, now);
    }
    stages.unshift(born);
    stages.pop();
    published += batch.length;
    if (batch.length)
      await transport.publish(exchange, 'task.multi', {
        body: batch,
        headers: { hostname },
        deliveryMode: 1,
      });
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, TICK_MS - (Date.now() - tickStart))),
    );
  }
  const elapsed = (Date.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const marks = (await page.evaluate('window.__marks')) as [string, string, number][];
  const latencies = marks
    .map(([id, state, at]) => {
      const sent = eventTimes.get(`${id} ${state}`);
      return sent === undefined ? undefined : at - sent;
    })
    .filter((value): value is number => value !== undefined)
    .sort((a, b) => a - b);
  const result = {
    rate,
    seconds,
    eventsPerSecond: Math.round(published / elapsed),
    measured: latencies.length,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    max: latencies[latencies.length - 1] ?? NaN,
    processCpuPercent: Math.round(((cpu.user + cpu.system) / 1000 / (elapsed * 1000)) * 1000) / 10,
    rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
  };
  console.log(
    `Dashboard event → DOM at ${result.eventsPerSecond} events/s for ${seconds} s: ` +
      `p50 ${result.p50} ms, p95 ${result.p95} ms, p99 ${result.p99} ms, max ${result.max} ms ` +
      `(${result.measured} task states seen in the DOM); bench process (server + generator) CPU ` +
      `${result.processCpuPercent} % of a core, RSS ${result.rssMiB} MiB`,
  );
  if (jsonIndex >= 0) writeFileSync(argv[jsonIndex + 1]!, JSON.stringify(result, null, 2));
  await browser.close();
  await transport.close();
  await app.close();
}
