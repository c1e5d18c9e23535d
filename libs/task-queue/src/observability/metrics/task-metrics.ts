import type { Registry } from 'prom-client';
import type { TaskEvent, TaskEventType } from '../../tasks/task-events.js';
import { SeriesCounter, SeriesHistogram } from './series-metrics.js';

/** Counter of each task event type, by celery-exporter's names. */
const COUNTED: Partial<Record<TaskEventType, [name: string, help: string]>> = {
  'task-sent': ['celery_task_sent_total', 'Tasks sent.'],
  'task-received': ['celery_task_received_total', 'Tasks received by a worker.'],
  'task-started': ['celery_task_started_total', 'Tasks started by a worker.'],
  'task-succeeded': ['celery_task_succeeded_total', 'Tasks that succeeded.'],
  'task-failed': ['celery_task_failed_total', 'Tasks that failed.'],
  'task-retried': ['celery_task_retried_total', 'Task attempts that ended in a retry.'],
  'task-revoked': ['celery_task_revoked_total', 'Tasks revoked (by request or expiry).'],
  'task-rejected': ['celery_task_rejected_total', 'Tasks rejected (dead-lettered or dropped).'],
};

/**
 * Task counters and histograms with celery-exporter's names and labels (`name`, `hostname`,
 * `queue_name`, plus `exception` on failures), fed with task events: this process's own, or
 * the cluster's from the Celery events stream. A series is found by a key made of the label
 * values, so counting an event costs a Map lookup (series-metrics.ts).
 */
export class TaskMetrics {
  private readonly counters = new Map<TaskEventType, SeriesCounter>();
  private readonly runtime: SeriesHistogram;
  private readonly queueWait: SeriesHistogram;

  constructor(registry: Registry, buckets: number[]) {
    for (const [type, [name, help]] of Object.entries(COUNTED)) {
      this.counters.set(type as TaskEventType, new SeriesCounter(registry, name, help));
    }
    this.runtime = new SeriesHistogram(
      registry,
      'celery_task_runtime',
      'Seconds a task ran (succeeded or failed attempts).',
      buckets,
    );
    this.queueWait = new SeriesHistogram(
      registry,
      'celeriac_task_queue_wait_seconds',
      'Seconds from send (or ETA) to the start of the task, from the x-celeriac-sent-at header.',
      buckets,
    );
  }

  /** Count one task event. */
  record(event: TaskEvent): void {
    const counter = this.counters.get(event.type);
    if (!counter) return;
    const name = event.shadow ?? event.name;
    const queue = event.queue ?? '';
    const key = `${name}\u0000${event.hostname}\u0000${queue}`;
    const labels = () => ({ name, hostname: event.hostname, queue_name: queue });
    if (event.type === 'task-failed') {
      const exception = event.error?.name ?? 'Exception';
      counter.inc(`${key}\u0000${exception}`, () => ({ ...labels(), exception }));
    } else {
      counter.inc(key, labels);
    }
    if (
      event.runtime !== undefined &&
      (event.type === 'task-succeeded' || event.type === 'task-failed')
    ) {
      this.runtime.observe(key, labels, event.runtime);
    }
    if (event.type === 'task-started' && event.sentAt !== undefined) {
      this.queueWait.observe(key, labels, Math.max(0, (event.timestamp - event.sentAt) / 1000));
    }
  }
}
