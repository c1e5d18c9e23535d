import { describe, expect, it } from 'vitest';
import { ClusterState } from './cluster-state.js';

const t0 = 1_800_000_000;
const ev = (type: string, fields: Record<string, unknown>, at = 0) => ({
  type,
  hostname: 'celery@py',
  timestamp: t0 + at,
  ...fields,
});

describe('ClusterState', () => {
  it('merges task events into one record, out of order included', () => {
    const state = new ClusterState();
    state.apply(
      ev('task-received', { uuid: 'a', name: 'proj.add', args: '(2, 3)', kwargs: '{}' }, 0),
    );
    state.apply(ev('task-succeeded', { uuid: 'a', result: '5', runtime: 0.01 }, 2));
    state.apply(ev('task-started', { uuid: 'a' }, 1));
    const task = state.task('a')!;
    expect(task).toMatchObject({
      name: 'proj.add',
      state: 'SUCCESS',
      args: '(2, 3)',
      result: '5',
      worker: 'celery@py',
      runtime: 0.01,
    });
    expect(task.started).toBe((t0 + 1) * 1000);
  });

  it('takes a retried task back to RECEIVED / STARTED', () => {
    const state = new ClusterState();
    state.apply(ev('task-started', { uuid: 'r' }, 0));
    state.apply(ev('task-retried', { uuid: 'r', exception: "ValueError('x')" }, 1));
    state.apply(ev('task-received', { uuid: 'r', retries: 1 }, 2));
    expect(state.task('r')).toMatchObject({ state: 'RECEIVED', retries: 1 });
  });

  it('keeps at most maxTasks, least recently updated dropped first', () => {
    const state = new ClusterState({ maxTasks: 3 });
    for (const id of ['1', '2', '3']) state.apply(ev('task-received', { uuid: id }));
    state.apply(ev('task-started', { uuid: '1' }, 1));
    state.apply(ev('task-received', { uuid: '4' }, 1));
    expect(state.taskCount).toBe(3);
    expect(state.task('2')).toBeUndefined();
    expect(state.task('1')?.state).toBe('STARTED');
  });

  it('searches by id, state, name, worker and args text, newest first', () => {
    const state = new ClusterState();
    state.apply(
      ev('task-received', { uuid: 'x1', name: 'mail.send', args: "('bob@example.com',)" }),
    );
    state.apply(ev('task-received', { uuid: 'x2', name: 'proj.add', args: '(1, 2)' }, 1));
    state.apply(ev('task-failed', { uuid: 'x2', exception: 'boom' }, 2));
    expect(state.search({ id: 'x1' }).items.map((t) => t.uuid)).toEqual(['x1']);
    expect(state.search({ args: 'BOB@' }).items.map((t) => t.uuid)).toEqual(['x1']);
    expect(state.search({ state: 'FAILURE' }).items.map((t) => t.uuid)).toEqual(['x2']);
    expect(state.search({ text: 'proj' }).total).toBe(1);
    expect(state.search({ worker: 'celery@py' }).items.map((t) => t.uuid)).toEqual(['x2', 'x1']);
    expect(state.search({ limit: 1, offset: 1 }).items.map((t) => t.uuid)).toEqual(['x1']);
  });

  it('links children to their parent', () => {
    const state = new ClusterState();
    state.apply(ev('task-received', { uuid: 'p' }));
    state.apply(ev('task-received', { uuid: 'c', parent_id: 'p', root_id: 'p' }, 1));
    expect(state.task('p')?.children).toEqual(['c']);
  });

  it('tracks workers: online, heartbeat counters, offline', () => {
    const state = new ClusterState({ maxWorkers: 2 });
    const now = Date.now() / 1000;
    state.apply({
      type: 'worker-online',
      hostname: 'w1',
      timestamp: now,
      freq: 2,
      sw_ident: 'py-celery',
      sw_ver: '5.2.6',
      sw_sys: 'Linux',
    });
    state.apply({
      type: 'worker-heartbeat',
      hostname: 'w1',
      timestamp: now,
      active: 2,
      processed: 7,
    });
    expect(state.workerList()[0]).toMatchObject({
      hostname: 'w1',
      online: true,
      active: 2,
      processed: 7,
      software: 'py-celery 5.2.6 Linux',
    });
    state.apply({ type: 'worker-offline', hostname: 'w1', timestamp: now });
    expect(state.workerList()[0]?.online).toBe(false);
    state.apply({ type: 'worker-online', hostname: 'w2', timestamp: now });
    state.apply({ type: 'worker-online', hostname: 'w3', timestamp: now });
    expect(state.workerList().map((w) => w.hostname)).toEqual(['w2', 'w3']);
  });
});
