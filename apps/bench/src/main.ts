import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseBenchArgs } from './bench-args.js';
import { BenchEnv } from './bench-env.js';
import { celeryAvailable } from './celery-worker.process.js';
import { printReport, ratios, summarize } from './report.js';
import { runScenario, type ScenarioResult } from './scenarios.js';
import { buildTargets, NODE_CONCURRENCY } from './targets.js';
import { runTransactionsBench } from './transactions.bench.js';
import { runPoolsBench } from './pools.bench.js';
import { runBeatBench } from './beat.bench.js';
import { runDashboardBench } from './dashboard.bench.js';
import { runScrapeBench } from './scrape.bench.js';

/** `BENCH_REDIS_URL` points the bench at another Redis (a private one gives exact INFO figures). */
const REDIS = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const AMQP = 'amqp://guest:guest@127.0.0.1:5672';

/**
 * `npm run bench`: Celeriac vs BullMQ (and Celery prefork -c 2 when installed) on the local
 * Redis and RabbitMQ. The producer / measurer runs here; every worker runs in its own child
 * process, one per scenario. See apps/bench/README.md.
 */
async function main(): Promise<void> {
  if (process.argv.includes('--transactions')) return runTransactionsBench(process.argv.slice(2));
  if (process.argv.includes('--pools')) return runPoolsBench(process.argv.slice(2));
  if (process.argv.includes('--beat')) return runBeatBench(process.argv.slice(2), REDIS);
  if (process.argv.includes('--dashboard')) return runDashboardBench(process.argv.slice(2));
  if (process.argv.includes('--scrape')) return runScrapeBench(process.argv.slice(2));
  const args = parseBenchArgs(process.argv.slice(2));
  if (args.cpuProf) mkdirSync(args.cpuProf, { recursive: true });
  const env = await BenchEnv.open(REDIS, AMQP);
  const celeryWanted = args.systems.some((system) => system.startsWith('celery'));
  const celery = celeryWanted && (await celeryAvailable());
  console.log(
    `Bench ${env.runId}: Redis ${env.redisUrl}, RabbitMQ ${env.amqpUrl ? 'yes' : 'unreachable (skipped)'}, ` +
      `Celery ${celery ? '5 prefork -c 2' : celeryWanted ? 'not available (skipped)' : 'not selected'}; node ${process.version}, ` +
      `${cpus().length} CPUs; Node worker concurrency ${NODE_CONCURRENCY}; n=${args.n}, celery n=${args.celeryN}, repeat ${args.repeat}; ` +
      `Node worker options: ${args.workerNodeOptions.join(' ') || "none (Node's defaults)"}`,
  );
  const targets = buildTargets(env, celery, {
    cpuProfDir: args.cpuProf,
    nodeOptions: args.workerNodeOptions,
  }).filter((t) => args.systems.includes(t.system) && args.brokers.includes(t.broker));
  const results: ScenarioResult[] = [];
  let stopping = false;
  process.once('SIGINT', () => {
    stopping = true;
    console.log('Interrupted: finishing the current scenario, then cleaning up.');
  });
  try {
    for (let repeat = 1; repeat <= args.repeat && !stopping; repeat++) {
      console.log(`\nRound ${repeat}/${args.repeat}`);
      // Every other round runs the systems in reverse order, so none always runs right after
      // another (whose results, keys and GC debt it would inherit).
      const ordered = repeat % 2 === 0 ? [...targets].reverse() : targets;
      for (const scenario of args.scenarios) {
        for (const target of ordered) {
          if (stopping || !target.scenarios.includes(scenario)) continue;
          const n = target.system.startsWith('celery') ? args.celeryN : args.n;
          results.push(
            await runScenario(env, target, scenario, {
              n,
              rate: args.rate,
              latencySeconds: args.latencySeconds,
              latencyWarmupSeconds: args.latencyWarmupSeconds,
              commandStats: args.commandStats,
              repeat,
            }),
          );
        }
      }
    }
  } finally {
    await env.cleanup();
  }
  const summaries = summarize(results);
  printReport(summaries);
  if (args.json) {
    const payload = { runId: env.runId, args, summaries, ratios: ratios(summaries), results };
    writeFileSync(args.json, JSON.stringify(payload, null, 2));
    console.log(`\nWrote ${args.json}`);
  }
  process.exit(results.some((r) => r.error) ? 1 : 0);
}

main().catch((error: Error) => {
  console.error(`bench failed: ${error.stack ?? error.message}`);
  process.exit(1);
});
