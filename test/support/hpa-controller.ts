import type { HpaAlgorithm } from './hpa-algorithm.js';
import type { PrometheusServer } from './prometheus-server.js';
import type { WorkerFleet } from './worker-fleet.js';

/** One sync of the simulated controller. */
export interface Sync {
  /** ms since the controller started. */
  t: number;
  /** Each metric's values, as the external metrics API would list them. */
  metrics: (number[] | undefined)[];
  /** Values of the extra queries (e.g. KEDA's), evaluated at the same instant. */
  extra: (number | undefined)[];
  replicas: number;
  ready: number;
  recommended: number;
  desired: number;
}

export interface ControllerOptions {
  algorithm: HpaAlgorithm;
  prometheus: PrometheusServer;
  fleet: WorkerFleet;
  /** The PromQL prometheus-adapter runs for each metric of the HPA, in order. */
  queries: string[];
  /** More PromQL to evaluate at each sync's instant (recorded, not used for decisions). */
  extraQueries?: string[];
  /** The HPA controller's sync period (15 s in Kubernetes, scaled). */
  syncMs: number;
  /**
   * How far in the past the queries are evaluated: at least the scrape timeout, so every
   * scrape that started before the instant has been stored and two queries at the same
   * instant see the same samples (a scrape's samples carry its start time).
   */
  lagMs: number;
}

/**
 * The horizontal-pod-autoscaler controller loop over a real Prometheus: every sync period it
 * runs the adapter's queries at one instant, probes the pods' readiness, lets the algorithm
 * decide, and scales the fleet (as the HPA writes the Deployment's scale subresource).
 */
export class HpaController {
  readonly syncs: Sync[] = [];
  private specReplicas: number;
  private running = false;
  private loop: Promise<void> = Promise.resolve();
  private readonly t0 = Date.now();
  private failure: Error | undefined;

  constructor(private readonly options: ControllerOptions) {
    this.specReplicas = options.fleet.replicas;
  }

  get replicas(): number {
    return this.specReplicas;
  }

  /** ms since the controller started. */
  elapsed(at = Date.now()): number {
    return at - this.t0;
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  /** Stop syncing; rejects if a sync failed. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    if (this.failure) throw this.failure;
  }

  /** Replica count changes, in order: [t, from, to]. */
  changes(): [number, number, number][] {
    return this.syncs
      .filter((s) => s.desired !== s.replicas)
      .map((s): [number, number, number] => [s.t, s.replicas, s.desired]);
  }

  /**
   * Every change as a line: time since `since` (ms, on the controller's clock), from → to, and
   * the signals of that sync (metric 0 summed as the backlog, the others' largest as the age).
   */
  timeline(since: number): string[] {
    return this.changes().map(([t, from, to]) => {
      const sync = this.syncs.find((x) => x.t === t)!;
      const [backlog = [], ...ages] = sync.metrics;
      const sum = backlog.reduce((a, b) => a + b, 0);
      const age = Math.max(0, ...ages.flatMap((a) => a ?? []));
      const at = `+${((t - since) / 1000).toFixed(1)} s`.padStart(8);
      return `  ${at}  ${String(from).padStart(2)} → ${String(to).padEnd(2)}  backlog ${sum}, oldest ${age.toFixed(1)} s, ready ${sync.ready}`;
    });
  }

  private async run(): Promise<void> {
    const { syncMs } = this.options;
    let next = Date.now();
    while (this.running) {
      try {
        await this.sync();
      } catch (error) {
        this.failure = error as Error;
        this.running = false;
        return;
      }
      next += syncMs;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - Date.now())));
    }
  }

  private async sync(): Promise<void> {
    const {
      algorithm,
      prometheus,
      fleet,
      queries,
      extraQueries = [],
      syncMs,
      lagMs,
    } = this.options;
    const now = Date.now();
    const instant = (now - lagMs) / 1000;
    const [metrics, extra, ready] = await Promise.all([
      Promise.all(
        queries.map(async (q) => (await prometheus.query(q, instant)).map((r) => r.value)),
      ),
      Promise.all(extraQueries.map(async (q) => (await prometheus.query(q, instant))[0]?.value)),
      fleet.probeReady(syncMs),
    ]);
    const decision = algorithm.reconcile(
      now,
      { specReplicas: this.specReplicas, statusReplicas: fleet.replicas, readyPods: ready },
      metrics.map((values) => (values.length ? values : undefined)),
    );
    this.syncs.push({
      t: this.elapsed(now),
      metrics,
      extra,
      replicas: this.specReplicas,
      ready,
      recommended: decision.recommended,
      desired: decision.desired,
    });
    this.specReplicas = decision.desired;
    await fleet.scaleTo(decision.desired);
  }
}
