import type { Registry } from 'prom-client';

export type Labels = Record<string, string>;

/** No labels: the `labels` of a sample whose labels are all its series' (shared) ones. */
const NO_LABELS: Labels = Object.freeze({});

/** One sample as the registry renders it (prom-client's metric `get()` shape). */
export interface Sample {
  labels: Labels;
  value: number;
  metricName?: string;
  sharedLabels?: Labels;
}

/** What the registry reads of a metric at each scrape. */
export interface Exposed {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  aggregator: 'sum';
  values: Sample[];
}

/**
 * `labels` and `value` as a sample of the text exposition. The labels go in `sharedLabels`, as
 * prom-client's own histograms pass a series' labels: the registry renders a `sharedLabels`
 * object once and caches the text by object identity, so a label object kept across scrapes
 * (one per series or queue) is escaped and formatted once, not at every scrape. `own` are the
 * labels of this line alone (a histogram bucket's `le`), rendered first.
 */
export function sample(
  labels: Labels,
  value: number,
  metricName?: string,
  own: Labels = NO_LABELS,
): Sample {
  return { labels: own, value, metricName, sharedLabels: labels };
}

/**
 * `samples` as `get()` returns them (`registry.getMetricsAsJSON()`, `AggregatorRegistry`),
 * each with all its labels in `labels`, as prom-client's histograms splay theirs.
 */
export function splayed(samples: Sample[]): Sample[] {
  return samples.map(({ labels, value, metricName, sharedLabels }) => ({
    labels: labels === NO_LABELS ? { ...sharedLabels } : { ...sharedLabels, ...labels },
    value,
    metricName,
  }));
}

/**
 * A counter or histogram for the task hot path. prom-client validates and hashes the label
 * object on every `inc()` / `observe()` (about a microsecond each); these hand out one series
 * object per label set, which the caller keeps, so counting a task is an addition. They render
 * as prom-client's own do, through the same registry.
 */
abstract class SeriesMetric<S> {
  protected readonly byKey = new Map<string, S>();
  readonly aggregator = 'sum' as const;

  constructor(
    registry: Registry,
    readonly name: string,
    readonly help: string,
  ) {
    registry.registerMetric(this as never);
  }

  /**
   * The registry's `resetMetrics()`: every series goes back to zero in place (and stays
   * exported), so the series objects callers hold keep counting.
   */
  reset(): void {
    for (const series of this.byKey.values()) this.zero(series);
  }

  /** The series of `key`, created (at zero) with `labels()` the first time. */
  series(key: string, labels: () => Labels): S {
    let series = this.byKey.get(key);
    if (!series) {
      series = this.create(labels());
      this.byKey.set(key, series);
    }
    return series;
  }

  protected abstract create(labels: Labels): S;
  protected abstract zero(series: S): void;

  abstract readonly type: Exposed['type'];

  /** The samples of every series, as the registry renders them. */
  protected abstract samples(): Sample[];

  /** The registry's text exposition (`registry.metrics()`). */
  getForPromString(): Promise<Exposed> {
    const { name, help, type, aggregator } = this;
    return Promise.resolve({ name, help, type, aggregator, values: this.samples() });
  }

  /** Every sample with all its labels (`registry.getMetricsAsJSON()`). */
  async get(): Promise<Exposed> {
    const exposed = await this.getForPromString();
    return { ...exposed, values: splayed(exposed.values) };
  }
}

export interface CounterSeries {
  labels: Labels;
  value: number;
}

/** A counter: `series(key, labels).value += 1`. */
export class SeriesCounter extends SeriesMetric<CounterSeries> {
  readonly type = 'counter' as const;

  protected create(labels: Labels): CounterSeries {
    return { labels, value: 0 };
  }

  protected zero(series: CounterSeries): void {
    series.value = 0;
  }

  protected samples(): Sample[] {
    return [...this.byKey.values()].map(({ labels, value }) => sample(labels, value));
  }
}

export interface HistogramSeries {
  labels: Labels;
  /** Per bucket (not cumulative), plus one for +Inf. */
  counts: Float64Array;
  sum: number;
  count: number;
}

/** A histogram: `observe(series(key, labels), value)`. */
export class SeriesHistogram extends SeriesMetric<HistogramSeries> {
  readonly type = 'histogram' as const;
  private readonly bounds: number[];
  /** The `le` label of each bucket line, one object each (their text is cached). */
  private readonly les: Labels[];
  private readonly names: { bucket: string; sum: string; count: string };

  constructor(registry: Registry, name: string, help: string, buckets: number[]) {
    super(registry, name, help);
    this.bounds = [...buckets].sort((a, b) => a - b);
    this.les = [...this.bounds.map(String), '+Inf'].map((le) => Object.freeze({ le }));
    this.names = { bucket: `${name}_bucket`, sum: `${name}_sum`, count: `${name}_count` };
  }

  protected create(labels: Labels): HistogramSeries {
    return { labels, counts: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 };
  }

  protected zero(series: HistogramSeries): void {
    series.counts.fill(0);
    series.sum = 0;
    series.count = 0;
  }

  observe(series: HistogramSeries, value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    series.counts[i]! += 1;
    series.sum += value;
    series.count += 1;
  }

  protected samples(): Sample[] {
    const values: Sample[] = [];
    const { les, names } = this;
    for (const { labels, counts, sum, count } of this.byKey.values()) {
      let cumulative = 0;
      for (let i = 0; i < les.length; i++) {
        cumulative += counts[i]!;
        values.push(sample(labels, cumulative, names.bucket, les[i]));
      }
      values.push(sample(labels, sum, names.sum));
      values.push(sample(labels, count, names.count));
    }
    return values;
  }
}
