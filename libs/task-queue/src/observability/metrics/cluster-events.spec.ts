import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ClusterEvents, PURGE_OFFLINE_WORKER_MS } from './cluster-events.js';

async function workersUp(registry: Registry): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric('celery_worker_up')!.get();
  return Object.fromEntries(metric.values.map((v) => [String(v.labels.hostname), v.value]));
}

describe('ClusterEvents workers', () => {
  afterEach(() => vi.useRealTimers());

  it('reports a silent or offline worker down, then forgets it after the purge delay', async () => {
    vi.useFakeTimers({ now: 1_000_000, toFake: ['Date'] });
    const registry = new Registry();
    const cluster = new ClusterEvents(registry, () => {});
    cluster.handle({ type: 'worker-online', hostname: 'celery@a', freq: 2 });
    cluster.handle({ type: 'worker-online', hostname: 'celery@b', freq: 2 });
    expect(await workersUp(registry)).toEqual({ 'celery@a': 1, 'celery@b': 1 });

    // a: shut down (worker-offline); b: killed (no more heartbeats), down after 2 × 2 s.
    cluster.handle({ type: 'worker-offline', hostname: 'celery@a', freq: 2 });
    vi.advanceTimersByTime(4_001);
    expect(await workersUp(registry)).toEqual({ 'celery@a': 0, 'celery@b': 0 });
    const count = await registry.getSingleMetric('celery_active_worker_count')!.get();
    expect(count.values[0]!.value).toBe(0);

    // Was: kept at 0 for ever, so `celery_worker_up == 0` alerts fired for every pod scaled down.
    vi.advanceTimersByTime(PURGE_OFFLINE_WORKER_MS - 4_000);
    expect(await workersUp(registry)).toEqual({ 'celery@b': 0 });
    vi.advanceTimersByTime(4_001);
    expect(await workersUp(registry)).toEqual({});

    // A worker back under the same name is up again.
    cluster.handle({ type: 'worker-heartbeat', hostname: 'celery@a', freq: 2 });
    expect(await workersUp(registry)).toEqual({ 'celery@a': 1 });
  });
});
