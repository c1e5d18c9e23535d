import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Broker } from 'celeriac';
import { createBroker, createTaskMessage } from 'celeriac/protocol';
import { HpaAlgorithm, type HpaSpec } from '../support/hpa-algorithm.js';
import { HpaController } from '../support/hpa-controller.js';
import { ensureBuilt, ROOT, WORKER_MAIN } from '../support/interop-build.js';
import { findKubectl } from '../support/kustomize.js';
import { externalMetricQuery } from '../support/prometheus-adapter.js';
import { ensurePrometheus, PrometheusServer } from '../support/prometheus-server.js';
import { PrivateRedisServer } from '../support/redis-test-server.js';
import { shippedAutoscaler, withScaledDurations } from '../support/shipped-autoscaler.js';
import { type Termination, WorkerFleet } from '../support/worker-fleet.js';

/**
 * Issue 22's autoscaling simulation: the shipped HPA (overlays/prod, celeriac-worker-default)
 * drives real worker processes (the demo's worker entry) through a real Prometheus scraping their /metrics, with
 * the PromQL the shipped prometheus-adapter rules produce. 10,000 tasks are published at once;
 * the fleet must grow, drain them with none lost or run twice, and shrink back to
 * minReplicas without flapping.
 *
 * Time is scaled: every duration of the Kubernetes side (HPA sync period 15 s, scrape interval
 * 15 s, stabilization windows, policy periods, and the 30 s oldest-age target) is multiplied
 * by TIME_SCALE (1/20: a 750 ms sync, a 15 s scale-down window, one pod removed per 3 s), so
 * the run fits in about 2.5 minutes. Counts (targets per replica, min, max, policy values,
 * the 10 % tolerance) and the workers' own settings (concurrency, shutdown timeout, grace
 * period) are the manifests' own. The task is the demo's notification e-mail, rate limited
 * to 50/s per worker, so a worker's capacity is fixed whatever the machine's load.
 */
const TIME_SCALE = Number(process.env.AUTOSCALING_TIME_SCALE ?? 1 / 20);
const TASKS = 10_000;
const HPA_NAME = 'celeriac-worker-default';
const TASK = 'notifications.order_confirmation';
const scaled = (seconds: number): number => seconds * 1000 * TIME_SCALE;

const kubectl = findKubectl();
if (!kubectl.path) console.warn(`[autoscaling] SKIPPED: ${kubectl.reason}.`);

describe('the HPA algorithm (pure)', () => {
  const spec: HpaSpec = {
    minReplicas: 1,
    maxReplicas: 20,
    metrics: [
      {
        type: 'External',
        external: {
          metric: { name: 'backlog' },
          target: { type: 'AverageValue', averageValue: '16' },
        },
      },
    ],
    behavior: {
      scaleUp: {
        stabilizationWindowSeconds: 0,
        selectPolicy: 'Max',
        policies: [
          { type: 'Percent', value: 100, periodSeconds: 15 },
          { type: 'Pods', value: 4, periodSeconds: 15 },
        ],
      },
      scaleDown: {
        stabilizationWindowSeconds: 300,
        selectPolicy: 'Min',
        policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }],
      },
    },
  };

  it('keeps within the tolerance, scales up at the policy rate and down after the window', () => {
    const hpa = new HpaAlgorithm(spec);
    let replicas = 1;
    const sync = (at: number, backlog: number): number => {
      const state = { specReplicas: replicas, statusReplicas: replicas, readyPods: replicas };
      replicas = hpa.reconcile(at * 1000, state, [[backlog]]).desired;
      return replicas;
    };
    expect(sync(0, 17)).toBe(1); // 17 / 16 is within 10 %
    // max(+100 %, +4 pods) per 15 s: 1 → 5 → 10 → 20.
    expect([15, 30, 45, 60].map((t) => sync(t, 10_000))).toEqual([5, 10, 20, 20]);
    // The backlog is gone at 75 s: the window keeps 20 for 300 s after the last high one.
    expect([75, 300, 345].map((t) => sync(t, 0))).toEqual([20, 20, 20]);
    // Then one pod per 60 s.
    expect([360, 375, 420, 480].map((t) => sync(t, 0))).toEqual([19, 19, 18, 17]);
  });
});

describe.skipIf(!kubectl.path)('autoscaling on the shipped HPA against a real Prometheus', () => {
  let redis: PrivateRedisServer;
  let prometheus: PrometheusServer;
  let fleet: WorkerFleet;
  let running: HpaController | undefined;
  let broker: Broker;
  const runs = new Uint16Array(TASKS);
  const unknownLines: string[] = [];

  beforeAll(async () => {
    ensurePrometheus();
    await ensureBuilt();
    redis = await PrivateRedisServer.start();
  }, 600_000);

  afterAll(async () => {
    await running?.stop().catch(() => undefined);
    await fleet?.shutdown();
    await broker?.close();
    await prometheus?.stop();
    await redis?.destroy();
  }, 120_000);

  it('a 10,000-task backlog scales the workers up, drains with no loss, and scales back down without flapping', async () => {
    const config = await shippedAutoscaler(kubectl.path!, HPA_NAME);
    const syncMs = scaled(15);
    const windowMs = scaled(config.hpa.behavior!.scaleDown!.stabilizationWindowSeconds!);
    // The age target is a duration too: scaled like the clock.
    const hpa = withScaledDurations(config.hpa, TIME_SCALE);
    const queries = hpa.metrics.map((m) =>
      externalMetricQuery(
        config.adapterRules,
        m.external!.metric.name,
        m.external!.metric.selector,
      ),
    );
    prometheus = await PrometheusServer.start([], {
      interval: `${Math.round(scaled(config.scrapeSeconds))}ms`,
    });
    fleet = new WorkerFleet({
      main: WORKER_MAIN,
      cwd: ROOT,
      env: {
        ...config.env,
        CELERIAC_BROKER: redis.url,
        CELERIAC_RESULT_BACKEND: redis.url,
      },
      graceMs: config.graceMs,
      onTargets: (targets) => prometheus.setTargets(targets),
      onLine: (line) => {
        const order = /Order (\d+) confirmed/.exec(line);
        if (!order) return;
        const i = Number(order[1]);
        if (i < TASKS) runs[i]!++;
        else unknownLines.push(line);
      },
    });
    const min = hpa.minReplicas ?? 1;
    await fleet.scaleTo(min);
    // The minimum fleet is up and scraped before the backlog arrives.
    await expect
      .poll(async () => (await prometheus.query(queries[0]!)).length, { timeout: 60_000 })
      .toBeGreaterThan(0);

    const controller = new HpaController({
      algorithm: new HpaAlgorithm(hpa, TIME_SCALE),
      prometheus,
      fleet,
      queries,
      extraQueries: config.kedaQueries,
      syncMs,
      lagMs: scaled(config.scrapeSeconds),
    });
    running = controller;
    controller.start();

    // The backlog: 10,000 tasks published at once.
    broker = await createBroker(redis.url);
    await broker.connect();
    const published = controller.elapsed();
    const ids: string[] = [];
    for (let chunk = 0; chunk < TASKS; chunk += 1000) {
      await Promise.all(
        Array.from({ length: Math.min(1000, TASKS - chunk) }, (_, k) => {
          const message = createTaskMessage({ name: TASK, args: ['c@x.io', chunk + k, 100] });
          ids.push(message.headers.id);
          return broker.publish(message, { queue: 'notifications' });
        }),
      );
    }
    const publishMs = controller.elapsed() - published;

    const executed = (): number => runs.reduce((sum, n) => sum + (n > 0 ? 1 : 0), 0);
    const state = (): string =>
      `${executed()}/${TASKS} executed, ${controller.replicas} replicas, ${fleet.live} live; ` +
      `changes:\n${controller.timeline(published).join('\n')}\n` +
      `terminated: ${JSON.stringify(fleet.exited)}\nworker warnings and errors:\n` +
      fleet.problems.join('\n');
    await until(() => executed() === TASKS, 240_000, state).catch(async (error: Error) => {
      // Where the missing tasks are: still queued, delivered and unacked, or parked.
      const client = new Redis(redis.url);
      const where = await Promise.all([
        client.llen('notifications'),
        client.hlen('unacked'),
        client.zcard('celeriac:delayed'),
      ]).finally(() => client.disconnect());
      error.message += `\nRedis: ${where[0]} queued, ${where[1]} unacked, ${where[2]} parked`;
      throw error;
    });
    const drainMs = controller.elapsed() - published;

    // Back to minReplicas, every terminated pod gone, then a quiet tail of two windows.
    const settled = (): boolean => {
      const last = controller.changes().at(-1)?.[0] ?? 0;
      return (
        controller.replicas === min &&
        fleet.live === min &&
        controller.elapsed() - last >= 2 * windowMs
      );
    };
    await until(settled, 240_000, state);
    await controller.stop();

    const changes = controller.changes();
    const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
    const peakAt = changes.find(([, , to]) => to === hpa.maxReplicas)?.[0] ?? NaN;
    console.log(
      [
        `[autoscaling] time scale ${TIME_SCALE}; ${TASKS} tasks published in ${s(publishMs)}; ` +
          `drained in ${s(drainMs)}; max replicas at +${s(peakAt - published)}; back to ` +
          `min at +${s((changes.at(-1)?.[0] ?? NaN) - published)}; ${controller.syncs.length} syncs`,
        ...controller.timeline(published),
      ].join('\n'),
    );

    // No task lost, none run twice: every order's e-mail once, every result SUCCESS.
    const lost = [...runs.keys()].filter((i) => runs[i] === 0);
    const twice = [...runs.keys()].filter((i) => runs[i]! > 1);
    expect({ lost: lost.length, twice: twice.length, unknownLines }).toEqual({
      lost: 0,
      twice: 0,
      unknownLines: [],
    });
    const client = new Redis(redis.url);
    try {
      let succeeded = 0;
      for (let i = 0; i < ids.length; i += 1000) {
        const metas = await client.mget(
          ...ids.slice(i, i + 1000).map((id) => `celery-task-meta-${id}`),
        );
        succeeded += metas.filter((m) => m && JSON.parse(m).status === 'SUCCESS').length;
      }
      expect(succeeded).toBe(TASKS);
      expect(await client.llen('notifications')).toBe(0);
      expect(await client.hlen('unacked')).toBe(0);
    } finally {
      client.disconnect();
    }

    // Scaled above the minimum, then monotonic: every increase before every decrease.
    const peak = Math.max(...controller.syncs.map((s) => s.desired));
    expect(peak).toBeGreaterThan(min);
    const directions = changes.map(([, from, to]) => Math.sign(to - from));
    expect(
      directions.indexOf(-1) === -1 || directions.lastIndexOf(1) < directions.indexOf(-1),
    ).toBe(true);
    expect(controller.replicas).toBe(min);

    // Every scale-in was a graceful drain: exit 0 on SIGTERM, well within the grace period.
    const terminations: Termination[] = await fleet.terminations();
    expect(terminations.length).toBe(peak - min);
    for (const t of terminations) {
      expect(t, t.name).toMatchObject({ code: 0, signal: null });
      expect(t.ms).toBeLessThan(config.graceMs);
    }

    // KEDA's queries, evaluated at the same instants, see the same backlog and age.
    for (const sync of controller.syncs) {
      const [backlog = [], celeryAge = [], notificationsAge = []] = sync.metrics;
      const ages = [...celeryAge, ...notificationsAge];
      expect(sync.extra[0], `KEDA backlog at ${sync.t} ms`).toBe(
        backlog.length ? backlog.reduce((a, b) => a + b, 0) : undefined,
      );
      expect(sync.extra[1], `KEDA age at ${sync.t} ms`).toBe(
        ages.length ? Math.max(...ages) : undefined,
      );
    }
  });
});

async function until(check: () => boolean, timeoutMs: number, state: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${state()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
