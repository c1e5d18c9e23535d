import type { Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { type OutboxBacklog, readOutboxBacklog } from '../../transaction/outbox/outbox-backlog.js';
import { ComputedGauge } from './computed-gauge.js';
import { sample } from './series-metrics.js';

const NO_LABELS = {};

/**
 * The outbox backlog (`typeorm.dispatch: 'outbox'`): rows waiting in `task_outbox` and the age
 * of the oldest, from one aggregate query per scrape shared by both gauges (a query in flight,
 * or finished less than `reuseMs` ago, is reused). A scrape whose query fails exports neither.
 */
export class OutboxMetrics {
  private current?: { at: number; backlog: Promise<OutboxBacklog> };

  constructor(
    registry: Registry,
    private readonly dataSource: DataSource,
    private readonly reuseMs = 500,
  ) {
    new ComputedGauge(
      registry,
      'celeriac_outbox_pending',
      'Tasks waiting in the task_outbox table to be published (by the fast path or a relay).',
      async () => [sample(NO_LABELS, (await this.read()).pending)],
    );
    new ComputedGauge(
      registry,
      'celeriac_outbox_oldest_pending_age_seconds',
      'Seconds since the oldest task waiting in task_outbox was written (0 when empty).',
      async () => {
        const { oldest } = await this.read();
        return [
          sample(NO_LABELS, oldest ? Math.max(0, (Date.now() - oldest.getTime()) / 1000) : 0),
        ];
      },
    );
    new ComputedGauge(
      registry,
      'celeriac_outbox_dead_letters',
      'Tasks in task_outbox the relay gave up on after typeorm.relay.maxAttempts refusals ' +
        "(locked_by = 'dead-letter'): send them again or delete them (docs/transactions.md).",
      async () => [sample(NO_LABELS, (await this.read()).dead)],
    );
  }

  private read(): Promise<OutboxBacklog> {
    const now = Date.now();
    if (this.current && now - this.current.at < this.reuseMs) return this.current.backlog;
    const backlog = readOutboxBacklog(this.dataSource);
    this.current = { at: now, backlog };
    backlog.catch(() => {
      if (this.current?.backlog === backlog) this.current = undefined;
    });
    return backlog;
  }
}
