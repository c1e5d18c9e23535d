import type { Broker } from '../../contracts/broker.interface.js';
import type { QueueStats } from '../../contracts/queue-stats.interface.js';
import { BrokerConnectionError } from '../../errors/broker-connection.error.js';
import { SharedCall, withTimeout } from '../../utils/with-timeout.js';

/** Queue figures of one scrape, ages resolved. */
export interface QueueFigures {
  readonly stats: QueueStats;
  /** Seconds the oldest ready message has waited; null when unknown. */
  readonly oldestAgeSeconds: number | null;
}

/**
 * One `queueStats` call per scrape, shared by every gauge that scrape collects (prom-client
 * collects each metric on its own): a call in flight, or finished less than `reuseMs` ago,
 * is reused. Messages without a send time (from producers that do not stamp one) are aged
 * from when this process first saw them at the head: a lower bound.
 *
 * A read that the broker does not answer within `timeoutMs` fails (the scrape goes on without
 * queue samples); its call is left to finish and later reads wait on it instead of stacking
 * new calls on a broker that hangs.
 */
export class QueueSnapshot {
  private current?: { at: number; figures: Promise<QueueFigures[]> };
  private readonly statsCall = new SharedCall<QueueStats[]>();
  private readonly headSeen = new Map<string, { id: string; since: number }>();

  constructor(
    private readonly broker: Broker,
    private readonly queues: readonly string[],
    private readonly timeoutMs: number,
    private readonly reuseMs = 500,
  ) {}

  read(): Promise<QueueFigures[]> {
    const now = Date.now();
    if (this.current && now - this.current.at < this.reuseMs) return this.current.figures;
    const figures = this.bounded().then((all) => all.map((stats) => this.figures(stats)));
    this.current = { at: now, figures };
    figures.catch(() => {
      if (this.current?.figures === figures) this.current = undefined;
    });
    return figures;
  }

  /** The broker's statistics, or a BrokerConnectionError after `timeoutMs`. */
  private bounded(): Promise<QueueStats[]> {
    return withTimeout(
      this.statsCall.run(() => this.fetch()),
      this.timeoutMs,
      () =>
        new BrokerConnectionError(
          `The broker did not report queue statistics within ${this.timeoutMs} ms`,
        ),
    );
  }

  private fetch(): Promise<QueueStats[]> {
    const queues = [...this.queues];
    if (this.broker.queueStats) return this.broker.queueStats(queues);
    return Promise.all(
      queues.map(async (queue) => ({
        queue,
        ready: await this.broker.queueLength(queue),
        unacked: null,
        delayed: null,
        deadLetters: null,
        consumers: null,
        oldest: null,
      })),
    );
  }

  private figures(stats: QueueStats): QueueFigures {
    const now = Date.now();
    const oldest = stats.oldest;
    if (!oldest) {
      this.headSeen.delete(stats.queue);
      // An empty queue has age 0; a queue the transport cannot peek has none.
      return { stats, oldestAgeSeconds: stats.ready === 0 ? 0 : null };
    }
    if ('sentAt' in oldest) {
      this.headSeen.delete(stats.queue);
      return { stats, oldestAgeSeconds: Math.max(0, (now - oldest.sentAt) / 1000) };
    }
    let seen = this.headSeen.get(stats.queue);
    if (seen?.id !== oldest.id) {
      seen = { id: oldest.id, since: now };
      this.headSeen.set(stats.queue, seen);
    }
    return { stats, oldestAgeSeconds: (now - seen.since) / 1000 };
  }
}
