import type { Registry } from 'prom-client';
import { type Exposed, type Sample, splayed } from './series-metrics.js';

/**
 * A gauge whose samples are computed at each scrape, rendered through the registry as
 * prom-client's own gauges are. A prom-client `Gauge` with a `collect()` would reset, then
 * validate and hash the labels of every sample on every scrape; this hands the samples over
 * as they are.
 */
export class ComputedGauge {
  readonly type = 'gauge' as const;
  readonly aggregator = 'sum' as const;

  /** @param read the samples of one scrape (rejecting: none are exported) */
  constructor(
    registry: Registry,
    readonly name: string,
    readonly help: string,
    private readonly read: () => Promise<Sample[]>,
  ) {
    registry.registerMetric(this as never);
  }

  /** Nothing is held between scrapes. */
  reset(): void {}

  /** The registry's text exposition (`registry.metrics()`). */
  async getForPromString(): Promise<Exposed> {
    const { name, help, type, aggregator } = this;
    const values = await this.read().catch((): Sample[] => []);
    return { name, help, type, aggregator, values };
  }

  /** Every sample with all its labels (`registry.getMetricsAsJSON()`). */
  async get(): Promise<Exposed> {
    const exposed = await this.getForPromString();
    return { ...exposed, values: splayed(exposed.values) };
  }
}
