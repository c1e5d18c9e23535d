import { Gauge, type Registry } from 'prom-client';
import { ComputedGauge } from './computed-gauge.js';
import type { QueueFigures, QueueSnapshot } from './queue-snapshot.js';
import { type Labels, type Sample, sample } from './series-metrics.js';

type Field = (figures: QueueFigures) => number | null;

/** The queue gauges: name, help, and the figure each reads (null: no sample). */
const GAUGES: [name: string, help: string, field: Field][] = [
  [
    'celery_queue_length',
    'Ready messages in the queue, every priority band (celery-exporter name).',
    ({ stats }) => stats.ready,
  ],
  [
    'celeriac_queue_ready',
    'Ready messages in the queue, every priority band.',
    ({ stats }) => stats.ready,
  ],
  [
    'celeriac_queue_unacked',
    'Messages delivered to consumers and not yet acknowledged (running and prefetched).',
    ({ stats }) => stats.unacked,
  ],
  [
    'celeriac_queue_delayed',
    'Messages parked until their ETA / countdown.',
    ({ stats }) => stats.delayed,
  ],
  [
    'celeriac_queue_dead_letters',
    'Messages in the dead-letter queue of the queue.',
    ({ stats }) => stats.deadLetters,
  ],
  [
    'celeriac_queue_consumers',
    'Consumers attached to the queue, where the broker counts them.',
    ({ stats }) => stats.consumers,
  ],
  [
    'celeriac_queue_oldest_ready_age_seconds',
    'Seconds the oldest ready message of the queue has waited (0 when empty).',
    ({ oldestAgeSeconds }) => oldestAgeSeconds,
  ],
];

/**
 * Queue gauges, labelled `queue_name`, read at scrape time from one shared
 * {@link QueueSnapshot} (one broker round trip for every queue and gauge). A scrape during a
 * broker outage exports no queue samples and counts the failure.
 */
export class QueueMetrics {
  constructor(registry: Registry, snapshot: QueueSnapshot) {
    new Gauge({
      name: 'celeriac_queue_stats_up',
      help: '1 when this scrape could read the queue statistics from the broker, else 0.',
      registers: [registry],
      async collect() {
        this.set(
          await snapshot.read().then(
            () => 1,
            () => 0,
          ),
        );
      },
    });
    // One label object per queue, shared by its samples in every gauge and scrape.
    const labels = new Map<string, Labels>();
    const labelsOf = (queue: string): Labels => {
      let found = labels.get(queue);
      if (!found) labels.set(queue, (found = { queue_name: queue }));
      return found;
    };
    for (const [name, help, field] of GAUGES) {
      new ComputedGauge(registry, name, help, async () => {
        const samples: Sample[] = [];
        for (const figure of await snapshot.read()) {
          const value = field(figure);
          if (value !== null) samples.push(sample(labelsOf(figure.stats.queue), value));
        }
        return samples;
      });
    }
  }
}
