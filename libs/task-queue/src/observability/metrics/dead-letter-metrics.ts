import type { Registry } from 'prom-client';
import type { DeadLetterKind, DeadLetters } from '../../worker/dead-letters.js';
import { type CounterSeries, SeriesCounter } from './series-metrics.js';

/**
 * `celeriac_dead_lettered_total{queue_name, reason}`: messages this process moved to a
 * dead-letter queue, malformed ones (which have no task name, so no task counter) included.
 */
export class DeadLetterMetrics {
  private readonly counter: SeriesCounter;
  private readonly series = new Map<string, CounterSeries>();
  readonly stop: () => void;

  constructor(registry: Registry, deadLetters: DeadLetters) {
    this.counter = new SeriesCounter(
      registry,
      'celeriac_dead_lettered_total',
      'Messages moved to a dead-letter queue, by the queue they came from and why ' +
        '(malformed, unknown_task, rejected, max_retries, other).',
    );
    this.stop = deadLetters.onDeadLetter((queue, kind) => this.count(queue, kind));
  }

  private count(queue: string, kind: DeadLetterKind): void {
    const key = `${queue}\u0000${kind}`;
    let series = this.series.get(key);
    if (!series) {
      series = this.counter.series(key, () => ({ queue_name: queue, reason: kind }));
      this.series.set(key, series);
    }
    series.value += 1;
  }
}
