import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { TaskEvent } from '../../tasks/task-events.js';
import { TaskMetrics } from './task-metrics.js';

function event(type: TaskEvent['type'], extra: Partial<TaskEvent> = {}): TaskEvent {
  return { type, taskId: 't1', name: 'app.add', hostname: 'w1', timestamp: 10_000, ...extra };
}

/** The value of sample `name` (a metric, or a histogram's `_bucket` / `_sum` / `_count`). */
async function sample(registry: Registry, name: string, labels: Record<string, string>) {
  const base = name.replace(/_(bucket|sum|count)$/, '');
  const metric = await (registry.getSingleMetric(name) ?? registry.getSingleMetric(base))!.get();
  const found = metric.values.find(
    (v) =>
      ((v as { metricName?: string }).metricName ?? name) === name &&
      Object.entries(labels).every(([k, value]) => v.labels[k] === value) &&
      Object.keys(v.labels).length === Object.keys(labels).length,
  );
  return found?.value;
}

describe('TaskMetrics', () => {
  it('counts each event type per (name, hostname, queue) and failures per exception', async () => {
    const registry = new Registry();
    const metrics = new TaskMetrics(registry, [0.1, 1]);
    const labels = { name: 'app.add', hostname: 'w1', queue_name: 'q1' };
    metrics.record(event('task-received', { queue: 'q1' }));
    metrics.record(event('task-received', { queue: 'q1' }));
    metrics.record(event('task-received', { queue: 'q2' }));
    metrics.record(event('task-received', { queue: 'q1', hostname: 'w2' }));
    metrics.record(event('task-received', { queue: 'q1', shadow: 'shown' }));
    const failure = { error: { name: 'TypeError', message: 'x' }, runtime: 0.5 };
    metrics.record(event('task-failed', { queue: 'q1', ...failure }));
    metrics.record(event('task-failed', { queue: 'q1', ...failure }));
    metrics.record(event('task-failed', { queue: 'q1', error: { name: 'Boom', message: '' } }));
    metrics.record(event('task-returned', { queue: 'q1' }));

    expect(await sample(registry, 'celery_task_received_total', labels)).toBe(2);
    const q2 = { ...labels, queue_name: 'q2' };
    expect(await sample(registry, 'celery_task_received_total', q2)).toBe(1);
    const w2 = { ...labels, hostname: 'w2' };
    expect(await sample(registry, 'celery_task_received_total', w2)).toBe(1);
    const shown = { ...labels, name: 'shown' };
    expect(await sample(registry, 'celery_task_received_total', shown)).toBe(1);
    const typeError = { ...labels, exception: 'TypeError' };
    expect(await sample(registry, 'celery_task_failed_total', typeError)).toBe(2);
    const boom = { ...labels, exception: 'Boom' };
    expect(await sample(registry, 'celery_task_failed_total', boom)).toBe(1);
    expect(await sample(registry, 'celery_task_runtime_count', labels)).toBe(2);
    expect(await sample(registry, 'celery_task_runtime_bucket', { ...labels, le: '1' })).toBe(2);
    expect(await sample(registry, 'celery_task_runtime_bucket', { ...labels, le: '0.1' })).toBe(0);
  });

  it('observes the queue wait of started events that carry a send time', async () => {
    const registry = new Registry();
    const metrics = new TaskMetrics(registry, [0.1, 1]);
    const labels = { name: 'app.add', hostname: 'w1', queue_name: 'q' };
    metrics.record(event('task-started', { queue: 'q', sentAt: 9_950 }));
    metrics.record(event('task-started', { queue: 'q', sentAt: 9_500 }));
    metrics.record(event('task-started', { queue: 'q' }));
    const wait = 'celeriac_task_queue_wait_seconds';
    expect(await sample(registry, `${wait}_count`, labels)).toBe(2);
    expect(await sample(registry, `${wait}_sum`, labels)).toBeCloseTo(0.55);
    expect(await sample(registry, `${wait}_bucket`, { ...labels, le: '0.1' })).toBe(1);
    expect(await sample(registry, 'celery_task_started_total', labels)).toBe(3);
  });

  it("goes back to zero on the registry's resetMetrics() and keeps counting", async () => {
    const registry = new Registry();
    const metrics = new TaskMetrics(registry, [1]);
    const labels = { name: 'app.add', hostname: 'w1', queue_name: '' };
    metrics.record(event('task-succeeded', { runtime: 0.2 }));
    registry.resetMetrics();
    expect(await sample(registry, 'celery_task_succeeded_total', labels)).toBe(0);
    expect(await sample(registry, 'celery_task_runtime_count', labels)).toBe(0);
    metrics.record(event('task-succeeded', { runtime: 0.2 }));
    expect(await sample(registry, 'celery_task_succeeded_total', labels)).toBe(1);
    expect(await sample(registry, 'celery_task_runtime_sum', labels)).toBeCloseTo(0.2);
  });
});
