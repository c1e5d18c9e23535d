import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { Broker } from '../../contracts/broker.interface.js';
import type { QueueStats } from '../../contracts/queue-stats.interface.js';
import { QueueMetrics } from './queue-metrics.js';
import { QueueSnapshot } from './queue-snapshot.js';
import { type Exposed, SeriesCounter, SeriesHistogram } from './series-metrics.js';

/** What the registry's text exposition reads of a metric (prom-client prefers this method). */
type TextSource = { getForPromString(): Promise<Exposed> };

function textSource(registry: Registry, name: string): TextSource {
  const metric = registry.getSingleMetric(name) as unknown as Partial<TextSource>;
  expect(typeof metric.getForPromString).toBe('function');
  return metric as TextSource;
}

const stats = (queue: string): QueueStats => ({
  queue,
  ready: 3,
  unacked: 1,
  delayed: 0,
  deadLetters: 0,
  consumers: null,
  oldest: null,
});

/**
 * prom-client escapes and formats a sample's `sharedLabels` once per object and caches the
 * text; its `labels` are formatted at every scrape. The series' labels must therefore reach
 * the registry as the same `sharedLabels` object at every scrape, with only a bucket's `le` in
 * `labels` - while `get()` (JSON, cluster aggregation) still sees every label of a sample.
 */
describe('label text of the exposition', () => {
  it('passes counter and histogram series labels as the same shared object at each scrape', async () => {
    const registry = new Registry();
    const counter = new SeriesCounter(registry, 'x_total', 'X.');
    const histogram = new SeriesHistogram(registry, 'x_seconds', 'X.', [0.1, 1]);
    const labels = { name: 'app.add', hostname: 'w1', queue_name: 'q' };
    counter.series('k', () => labels).value += 2;
    histogram.observe(
      histogram.series('k', () => labels),
      0.5,
    );

    const [first, second] = [
      await textSource(registry, 'x_total').getForPromString(),
      await textSource(registry, 'x_total').getForPromString(),
    ];
    expect(first.values[0]!.sharedLabels).toBe(labels);
    expect(second.values[0]!.sharedLabels).toBe(labels);
    expect(first.values[0]!.labels).toEqual({});

    const buckets = (await textSource(registry, 'x_seconds').getForPromString()).values;
    expect(buckets.map((v) => v.labels)).toEqual([
      { le: '0.1' },
      { le: '1' },
      { le: '+Inf' },
      {},
      {},
    ]);
    expect(buckets.every((v) => v.sharedLabels === labels)).toBe(true);
    const again = (await textSource(registry, 'x_seconds').getForPromString()).values;
    expect(again.map((v) => v.labels)).toEqual(buckets.map((v) => v.labels));
    expect(again[0]!.labels).toBe(buckets[0]!.labels);

    const text = await registry.metrics();
    expect(text).toContain('x_total{name="app.add",hostname="w1",queue_name="q"} 2');
    expect(text).toContain(
      'x_seconds_bucket{le="1",name="app.add",hostname="w1",queue_name="q"} 1',
    );
    expect(text).toContain('x_seconds_count{name="app.add",hostname="w1",queue_name="q"} 1');

    const json = await registry.getMetricsAsJSON();
    const bucket = json.find((m) => m.name === 'x_seconds')!.values[1]!;
    expect(bucket.labels).toEqual({ ...labels, le: '1' });
    expect(json.find((m) => m.name === 'x_total')!.values[0]!.labels).toEqual(labels);
  });

  it('passes each queue label as the same shared object at each scrape', async () => {
    const registry = new Registry();
    const broker = {
      queueStats: (queues: string[]) => Promise.resolve(queues.map(stats)),
    } as unknown as Broker;
    new QueueMetrics(registry, new QueueSnapshot(broker, ['a', 'b'], 1000, 0));
    const ready = textSource(registry, 'celeriac_queue_ready');
    const [first, second] = [await ready.getForPromString(), await ready.getForPromString()];
    expect(first.values.map((v) => v.sharedLabels)).toEqual([
      { queue_name: 'a' },
      { queue_name: 'b' },
    ]);
    expect(second.values[0]!.sharedLabels).toBe(first.values[0]!.sharedLabels);
    expect(await registry.metrics()).toContain('celeriac_queue_ready{queue_name="b"} 3');
    const json = await registry.getMetricsAsJSON();
    expect(json.find((m) => m.name === 'celeriac_queue_unacked')!.values).toEqual([
      expect.objectContaining({ labels: { queue_name: 'a' }, value: 1 }),
      expect.objectContaining({ labels: { queue_name: 'b' }, value: 1 }),
    ]);
  });
});
