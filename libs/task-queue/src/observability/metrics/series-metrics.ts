import type { Registry } from 'prom-client';

type Labels = Record<string, string>;

/** One sample as the registry renders it (prom-client's metric `get()` shape). */
interface Sample {
  labels: Labels;
  value: number;
  metricName?: string;
}

/** What the registry reads of a metric at each scrape. */
interface Exposed {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  values: Sample[];
}

/**
 * A counter or histogram for the task hot path. prom-client validates and hashes the label
 * object on every `inc()` / `observe()` (about a microsecond each); these keep one series per
 * caller-made key (a string the caller already has), so counting a task is a Map lookup and
 * an addition. They render as prom-client's own do, through the same registry.
 */
abstract class SeriesMetric<S> {
  protected readonly series = new Map<string, S>();
  readonly aggregator = 'sum' as const;

  constructor(
    registry: Registry,
    readonly name: string,
    readonly help: string,
  ) {
    registry.registerMetric(this as never);
  }

  reset(): void {
    this.series.clear();
  }

  abstract readonly type: Exposed['type'];

  /** The samples of every series, as the registry renders them. */
  protected abstract samples(): Sample[];

  get(): Promise<Exposed> {
    const { name, help, type, aggregator } = this;
    return Promise.resolve({ name, help, type, aggregator, values: this.samples() });
  }
}

interface CounterSeries {
  labels: Labels;
  value: number;
}

/** A counter whose series are found by key; `labels()` is called once per new key. */
export class SeriesCounter extends SeriesMetric<CounterSeries> {
  readonly type = 'counter' as const;

  inc(key: string, labels: () => Labels): void {
    const series = this.series.get(key);
    if (series) series.value += 1;
    else this.series.set(key, { labels: labels(), value: 1 });
  }

  protected samples(): Sample[] {
    return [...this.series.values()].map(({ labels, value }) => ({ labels, value }));
  }
}

interface HistogramSeries {
  labels: Labels;
  /** Per bucket (not cumulative), plus one for +Inf. */
  counts: Float64Array;
  sum: number;
  count: number;
}

/** A histogram whose series are found by key; `labels()` is called once per new key. */
export class SeriesHistogram extends SeriesMetric<HistogramSeries> {
  readonly type = 'histogram' as const;
  private readonly bounds: number[];

  constructor(registry: Registry, name: string, help: string, buckets: number[]) {
    super(registry, name, help);
    this.bounds = [...buckets].sort((a, b) => a - b);
  }

  observe(key: string, labels: () => Labels, value: number): void {
    let series = this.series.get(key);
    if (!series) {
      series = {
        labels: labels(),
        counts: new Float64Array(this.bounds.length + 1),
        sum: 0,
        count: 0,
      };
      this.series.set(key, series);
    }
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    series.counts[i]! += 1;
    series.sum += value;
    series.count += 1;
  }

  protected samples(): Sample[] {
    const values: Sample[] = [];
    for (const { labels, counts, sum, count } of this.series.values()) {
      let cumulative = 0;
      for (let i = 0; i <= this.bounds.length; i++) {
        cumulative += counts[i]!;
        const le = i < this.bounds.length ? String(this.bounds[i]) : '+Inf';
        values.push({
          labels: { ...labels, le },
          value: cumulative,
          metricName: `${this.name}_bucket`,
        });
      }
      values.push({ labels, value: sum, metricName: `${this.name}_sum` });
      values.push({ labels, value: count, metricName: `${this.name}_count` });
    }
    return values;
  }
}
