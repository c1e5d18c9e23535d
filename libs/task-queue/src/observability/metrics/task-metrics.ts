import { Counter, Histogram, type Registry } from 'prom-client';
import type { TaskEvent, TaskEventType } from '../../tasks/task-events.js';

const LABELS = ['name', 'hostname', 'queue_name'] as const;
type Labels = Record<(typeof LABELS)[number], string>;

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
 * the cluster's from the Celery events stream.
 */
export class TaskMetrics {
  private readonly counters = new Map<TaskEventType, Counter<string>>();
  private readonly runtime: Histogram<string>;
  private readonly queueWait: Histogram<string>;

  constructor(registry: Registry, buckets: number[]) {
    for (const [type, [name, help]] of Object.entries(COUNTED)) {
      const labelNames = type === 'task-failed' ? [...LABELS, 'exception'] : [...LABELS];
      this.counters.set(
        type as TaskEventType,
        new Counter({ name, help, labelNames, registers: [registry] }),
      );
    }
    this.runtime = new Histogram({
      name: 'celery_task_runtime',
      help: 'Seconds a task ran (succeeded or failed attempts).',
      labelNames: [...LABELS],
      buckets,
      registers: [registry],
    });
    this.queueWait = new Histogram({
      name: 'celeriac_task_queue_wait_seconds',
      help: 'Seconds from send (or ETA) to the start of the task, from the x-celeriac-sent-at header.',
      labelNames: [...LABELS],
      buckets,
      registers: [registry],
    });
  }

  /** Count one task event. */
  record(event: TaskEvent): void {
    const counter = this.counters.get(event.type);
    if (!counter) return;
    const labels: Labels = {
      name: event.shadow ?? event.name,
      hostname: event.hostname,
      queue_name: event.queue ?? '',
    };
    if (event.type === 'task-failed') {
      counter.inc({ ...labels, exception: event.error?.name ?? 'Exception' });
    } else {
      counter.inc(labels);
    }
    if (
      event.runtime !== undefined &&
      (event.type === 'task-succeeded' || event.type === 'task-failed')
    ) {
      this.runtime.observe(labels, event.runtime);
    }
    if (event.type === 'task-started' && event.sentAt !== undefined) {
      this.queueWait.observe(labels, Math.max(0, (event.timestamp - event.sentAt) / 1000));
    }
  }
}
