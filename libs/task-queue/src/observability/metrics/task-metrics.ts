import type { Registry } from 'prom-client';
import type { TaskEvent, TaskEventType } from '../../tasks/task-events.js';
import {
  SeriesCounter,
  SeriesHistogram,
  type CounterSeries,
  type HistogramSeries,
} from './series-metrics.js';
import type { TaskNameLabels } from './task-name-labels.js';

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

/** The event types {@link TaskMetrics} counts. */
export const COUNTED_TYPES = Object.keys(COUNTED) as TaskEventType[];

/** The series of one (name, hostname, queue) label set, made as its events first come. */
interface LabelSet {
  readonly key: string;
  readonly labels: () => Record<string, string>;
  readonly counts: Map<TaskEventType, CounterSeries>;
  readonly failures: Map<string, CounterSeries>;
  runtime?: HistogramSeries;
  queueWait?: HistogramSeries;
}

/**
 * Task counters and histograms with celery-exporter's names and labels (`name`, `hostname`,
 * `queue_name`, plus `exception` on failures), fed with task events: this process's own, or
 * the cluster's from the Celery events stream. The series of a label set are found through
 * nested maps of the label values (strings the events already hold, so no key is built per
 * event) and counting is an addition.
 */
export class TaskMetrics {
  private readonly counters = new Map<TaskEventType, SeriesCounter>();
  private readonly runtime: SeriesHistogram;
  private readonly queueWait: SeriesHistogram;
  /** name → hostname → queue → its series. */
  private readonly sets = new Map<string, Map<string, Map<string, LabelSet>>>();

  constructor(
    registry: Registry,
    buckets: number[],
    /** Bounds the `name` label; default: every name is its own label (tests). */
    private readonly names?: TaskNameLabels,
  ) {
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
    const type = event.type;
    const counter = this.counters.get(type);
    if (!counter) return;
    const name = event.shadow ?? event.name;
    const label = this.names ? this.names.label(name, type) : name;
    const set = this.labelSet(label, event.hostname, event.queue ?? '');
    if (type === 'task-failed') {
      const exception = event.error?.name ?? 'Exception';
      let series = set.failures.get(exception);
      if (!series) {
        series = counter.series(`${set.key}\u0000${exception}`, () => ({
          ...set.labels(),
          exception,
        }));
        set.failures.set(exception, series);
      }
      series.value += 1;
    } else {
      let series = set.counts.get(type);
      if (!series) {
        series = counter.series(set.key, set.labels);
        set.counts.set(type, series);
      }
      series.value += 1;
    }
    if (event.runtime !== undefined && (type === 'task-succeeded' || type === 'task-failed')) {
      set.runtime ??= this.runtime.series(set.key, set.labels);
      this.runtime.observe(set.runtime, event.runtime);
    }
    if (type === 'task-started' && event.sentAt !== undefined) {
      set.queueWait ??= this.queueWait.series(set.key, set.labels);
      this.queueWait.observe(set.queueWait, Math.max(0, (event.timestamp - event.sentAt) / 1000));
    }
  }

  private labelSet(name: string, hostname: string, queue: string): LabelSet {
    let byHost = this.sets.get(name);
    if (!byHost) this.sets.set(name, (byHost = new Map()));
    let byQueue = byHost.get(hostname);
    if (!byQueue) byHost.set(hostname, (byQueue = new Map()));
    let set = byQueue.get(queue);
    if (!set) {
      set = {
        key: `${name}\u0000${hostname}\u0000${queue}`,
        labels: () => ({ name, hostname, queue_name: queue }),
        counts: new Map(),
        failures: new Map(),
      };
      byQueue.set(queue, set);
    }
    return set;
  }
}
