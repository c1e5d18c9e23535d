import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { Broker } from '../../contracts/broker.interface.js';
import type { QueueStats } from '../../contracts/queue-stats.interface.js';
import { QueueMetrics } from './queue-metrics.js';
import { QueueSnapshot } from './queue-snapshot.js';

function stats(queue: string, consumers: number | null): QueueStats {
  return { queue, ready: 3, unacked: null, delayed: null, deadLetters: 0, consumers, oldest: null };
}

/** A broker answering fixed statistics (the transports' own figures have e2e specs). */
function brokerOf(all: QueueStats[]): Broker {
  return { queueStats: () => Promise.resolve(all) } as unknown as Broker;
}

describe('QueueMetrics', () => {
  it("exports the consumer count under celery-exporter's celery_active_consumer_count too", async () => {
    const registry = new Registry();
    const broker = brokerOf([stats('amqp-queue', 2), stats('redis-queue', null)]);
    new QueueMetrics(registry, new QueueSnapshot(broker, ['amqp-queue', 'redis-queue'], 1_000));
    const metric = await registry.getSingleMetric('celery_active_consumer_count')?.get();
    expect(metric?.type).toBe('gauge');
    // Where the broker does not count consumers (Redis) there is no sample, as celery-exporter
    // exports it for RabbitMQ only.
    const values = (all: { labels: object; value: number }[] = []) =>
      all.map(({ labels, value }) => ({ labels, value }));
    expect(values(metric?.values)).toEqual([{ labels: { queue_name: 'amqp-queue' }, value: 2 }]);
    const ours = await registry.getSingleMetric('celeriac_queue_consumers')!.get();
    expect(values(ours.values)).toEqual(values(metric?.values));
  });
});
