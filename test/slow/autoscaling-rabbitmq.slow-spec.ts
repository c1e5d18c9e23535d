import { describe, expect, it } from 'vitest';
import { createBroker, createTaskMessage } from 'celeriac/protocol';
import { createTestVhost } from '../support/amqp-vhost.js';
import { HpaAlgorithm } from '../support/hpa-algorithm.js';
import { ensureBuilt, ROOT, WORKER_MAIN } from '../support/interop-build.js';
import { findKubectl } from '../support/kustomize.js';
import { externalMetricQuery } from '../support/prometheus-adapter.js';
import { ensurePrometheus, PrometheusServer } from '../support/prometheus-server.js';
import { shippedAutoscaler } from '../support/shipped-autoscaler.js';
import { WorkerFleet } from '../support/worker-fleet.js';

const HPA_NAME = 'celeriac-worker-default';
const TASK = 'notifications.order_confirmation';
const READY = 'max(celeriac_queue_ready{queue_name="notifications"})';
const kubectl = findKubectl();
if (!kubectl.path) console.warn(`[autoscaling-rabbitmq] SKIPPED: ${kubectl.reason}.`);

/**
 * RabbitMQ cannot tell unacked counts nor a non-empty queue's oldest age. The adapter's rules
 * must still answer every metric of the HPA there: an HPA with a metric that has no value
 * does not scale at all when it is the only one, and never scales down otherwise. KEDA's
 * queries likewise: KEDA reads a query without a value as 0.
 */
describe.skipIf(!kubectl.path)('the shipped HPA metrics on RabbitMQ', () => {
  it('every metric has a value, with an empty queue and with a backlog', async () => {
    ensurePrometheus();
    await ensureBuilt();
    const config = await shippedAutoscaler(kubectl.path!, HPA_NAME);
    const queries = config.hpa.metrics.map((m) =>
      externalMetricQuery(
        config.adapterRules,
        m.external!.metric.name,
        m.external!.metric.selector,
      ),
    );
    const vhost = await createTestVhost('celeriac-autoscaling');
    const prometheus = await PrometheusServer.start([], { interval: '500ms' });
    const fleet = new WorkerFleet({
      main: WORKER_MAIN,
      cwd: ROOT,
      env: { ...config.env, CELERIAC_BROKER: vhost.url, CELERIAC_BEAT: '0' },
      graceMs: config.graceMs,
      onTargets: (targets) => prometheus.setTargets(targets),
      onLine: () => undefined,
    });
    const broker = await createBroker(vhost.url);
    try {
      await fleet.scaleTo(1);
      /** Each query at one instant a scrape in the past: the values per metric. */
      const values = async (): Promise<number[][]> => {
        const instant = Date.now() / 1000 - 0.5;
        return Promise.all(
          queries.map(async (q) => (await prometheus.query(q, instant)).map((r) => r.value)),
        );
      };
      const ready = async (): Promise<number | undefined> =>
        (await prometheus.query(READY, Date.now() / 1000 - 0.5))[0]?.value;
      await expect.poll(ready, { timeout: 60_000 }).toBeDefined();
      expect((await values()).map((v) => v.length > 0)).toEqual(queries.map(() => true));

      await broker.connect();
      for (let i = 0; i < 1000; i++) {
        await broker.publish(createTaskMessage({ name: TASK, args: ['c@x.io', i, 100] }), {
          queue: 'notifications',
        });
      }
      await expect.poll(ready, { timeout: 30_000 }).toBeGreaterThan(100);
      const backlog = await values();
      expect(backlog.map((v) => v.length > 0)).toEqual(queries.map(() => true));
      // Scaled as on Redis, on what RabbitMQ can tell: the ready count.
      const decision = new HpaAlgorithm(config.hpa).reconcile(
        Date.now(),
        { specReplicas: 1, statusReplicas: 1, readyPods: 1 },
        backlog,
      );
      expect(decision.proposals.every((p) => p !== undefined)).toBe(true);
      expect(decision.desired).toBeGreaterThan(1);

      // KEDA (overlays/prod-keda) reads the same backlog: a query without a value reads as 0
      // to KEDA (ignoreNullValues), so the workers would never scale on it.
      const instant = Date.now() / 1000 - 0.5;
      const [kedaBacklog, kedaAge] = await Promise.all(
        config.kedaQueries.map(async (q) => (await prometheus.query(q, instant))[0]?.value),
      );
      const readyNow = (await prometheus.query(READY, instant))[0]?.value;
      expect(kedaBacklog, 'KEDA backlog').toBe(readyNow);
      expect(kedaBacklog! / 16, 'KEDA backlog per 16').toBeGreaterThan(1);
      expect(kedaAge, 'KEDA age').toBeDefined();
    } finally {
      await fleet.shutdown();
      await broker.close();
      await prometheus.stop();
      await vhost.dispose();
    }
  });
});
