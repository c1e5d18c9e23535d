import type { ClusterChange } from 'celeriac';

/** One second of the charts. */
export interface MetricsSecond {
  /** Unix seconds. */
  t: number;
  succeeded: number;
  failed: number;
  received: number;
  /** Sum and count of queue waits (sent or received → started), in ms. */
  waitSum: number;
  waitCount: number;
}

/** Series for the charts: one entry per second, oldest first. @publicApi */
export interface DashboardSeries {
  t: number[];
  succeeded: number[];
  failed: number[];
  received: number[];
  /** Mean queue wait of the second in ms, null when no task started. */
  wait: (number | null)[];
}

/**
 * Throughput, failures and queue wait per second over the last `seconds` (a ring: memory
 * is fixed). Fed with cluster changes.
 */
export class DashboardMetrics {
  private readonly ring: MetricsSecond[];

  constructor(private readonly seconds = 900) {
    this.ring = Array.from({ length: seconds }, () => empty(0));
  }

  record(change: ClusterChange, now = Date.now()): void {
    const task = change.task;
    if (!task) return;
    const second = this.slot(Math.floor(now / 1000));
    switch (change.event.type) {
      case 'task-succeeded':
        second.succeeded++;
        break;
      case 'task-failed':
        second.failed++;
        break;
      case 'task-received':
        second.received++;
        break;
      case 'task-started': {
        const since = task.sent ?? task.received;
        if (since !== null && task.started !== null) {
          second.waitSum += Math.max(0, task.started - since);
          second.waitCount++;
        }
        break;
      }
    }
  }

  series(now = Date.now(), seconds = this.seconds): DashboardSeries {
    const end = Math.floor(now / 1000);
    const out: DashboardSeries = { t: [], succeeded: [], failed: [], received: [], wait: [] };
    for (let t = end - Math.min(seconds, this.seconds) + 1; t <= end; t++) {
      const s = this.ring[t % this.seconds]!;
      const live = s.t === t;
      out.t.push(t);
      out.succeeded.push(live ? s.succeeded : 0);
      out.failed.push(live ? s.failed : 0);
      out.received.push(live ? s.received : 0);
      out.wait.push(live && s.waitCount ? Math.round(s.waitSum / s.waitCount) : null);
    }
    return out;
  }

  private slot(t: number): MetricsSecond {
    const index = t % this.seconds;
    const second = this.ring[index]!;
    if (second.t !== t) this.ring[index] = empty(t);
    return this.ring[index]!;
  }
}

function empty(t: number): MetricsSecond {
  return { t, succeeded: 0, failed: 0, received: 0, waitSum: 0, waitCount: 0 };
}
