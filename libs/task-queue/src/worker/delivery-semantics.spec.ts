import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  app,
  closeApp,
  stateOf,
  tick,
  useSemanticsHarness,
} from '../__fixtures__/semantics-harness.js';
import { SemanticsListeners, SemanticsTasks } from '../__fixtures__/semantics.fixture.js';
import { TaskClient } from '../producer/task.client.js';
import { RevokedTasks } from '../revocation/revoked-tasks.js';

// Rate limits, revocation, acks, dedupe and hooks (retries, signals, time limits, ETA and
// expiry: execution-semantics.spec.ts).
useSemanticsHarness();

describe('rate limits', () => {
  it('starts at most `rateLimit` tasks of a type per second on a worker', async () => {
    const a = await app();
    const tasks = a.get(TaskClient);
    const results = await Promise.all(Array.from({ length: 5 }, () => tasks.send('sem.rate')));
    await tick();
    expect(a.get(SemanticsTasks).starts).toHaveLength(1);
    await tick(2_000);
    await Promise.all(results.map((r) => r.get()));
    const starts = a.get(SemanticsTasks).starts;
    const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
    expect(gaps.every((g) => g >= 500)).toBe(true);
  });
});

describe('revocation', () => {
  it('skips a task revoked while no worker was running, after the worker starts', async () => {
    const name = `revoke-${randomUUID()}`;
    const shared = { broker: `memory://${name}`, resultBackend: `memory://${name}` };
    const producer = await app({ ...shared, worker: { enabled: false } });
    const key = randomUUID();
    const result = await producer.get(TaskClient).send('sem.quick', [key]);
    await producer.get(RevokedTasks).revoke(result.id);
    const worker = await app(shared);
    await tick();
    await expect(result.get()).rejects.toMatchObject({
      name: 'TaskRevokedError',
      reason: 'revoked',
    });
    expect(worker.get(SemanticsTasks).runs.get(key)).toBeUndefined();
  });

  it('terminates a running task through its AbortSignal', async () => {
    const a = await app();
    const result = await a.get(TaskClient).send('sem.soft'); // waits for its signal
    await tick(100);
    await a.get(RevokedTasks).revoke(result.id, { terminate: true, reason: 'operator' });
    await tick();
    // Celery stores REVOKED ("terminated"); what the handler returned after the abort is dropped.
    expect(await stateOf(result)).toBe('REVOKED');
    await expect(result.get()).rejects.toMatchObject({
      name: 'TaskRevokedError',
      reason: 'terminated',
    });
  });

  it('runs the abort listeners of a terminated task in its context', async () => {
    const a = await app();
    const result = await a.get(TaskClient).send('sem.soft-listener');
    await tick(100);
    await a.get(RevokedTasks).revoke(result.id, { terminate: true });
    await tick();
    expect(await stateOf(result)).toBe('REVOKED');
    expect(a.get(SemanticsTasks).abortSeen).toEqual([`${result.id} TaskRevokedError`]);
  });
});

describe('acks', () => {
  it('with acksLate false, a task whose worker dies mid-run is not redelivered (at most once)', async () => {
    const name = `early-${randomUUID()}`;
    const shared = { broker: `memory://${name}`, resultBackend: `memory://${name}` };
    await app({ ...shared, worker: { enabled: false } }); // keeps the store across the restart
    const first = await app({ ...shared, worker: { shutdownTimeout: 0 } });
    const key = randomUUID();
    await first.get(TaskClient).send('sem.early', [key]);
    await tick();
    expect(first.get(SemanticsTasks).runs.get(key)).toHaveLength(1);
    await closeApp(first);
    const second = await app(shared);
    await tick(20_000);
    expect(second.get(SemanticsTasks).runs.get(key)).toBeUndefined();
  });

  it('with acksLate (default), a task whose worker stops mid-run is requeued and runs again', async () => {
    const name = `late-${randomUUID()}`;
    const shared = { broker: `memory://${name}`, resultBackend: `memory://${name}` };
    await app({ ...shared, worker: { enabled: false } }); // keeps the store across the restart
    const first = await app({ ...shared, worker: { shutdownTimeout: 0 } });
    const result = await first.get(TaskClient).send('sem.hard');
    await tick(100);
    await closeApp(first);
    await app(shared);
    await tick(1_000);
    await expect(result.get()).rejects.toMatchObject({
      name: 'TimeLimitExceeded',
      excModule: 'celery.exceptions',
    });
  });
});

describe('idempotency and hooks', () => {
  it('dedupe skips a delivery whose task id already succeeded', async () => {
    const a = await app();
    const tasks = a.get(TaskClient);
    const first = await tasks.send('sem.dedupe', ['d'], {}, { taskId: 'fixed-id-1' });
    await tick();
    await tasks.send('sem.dedupe', ['d'], {}, { taskId: 'fixed-id-1' });
    await tick();
    expect(a.get(SemanticsTasks).runs.get('d')).toHaveLength(1);
    await expect(first.get()).resolves.toBe(1);
  });

  it('calls @OnTaskEvent listeners, filtered by task glob, and survives a failing listener', async () => {
    const a = await app();
    const tasks = a.get(TaskClient);
    await tasks.send('sem.autoretry', ['hook', 'fatal']);
    await tasks.send('sem.retry', ['hook-r', 1]);
    const quick = await tasks.send('sem.quick', ['q']);
    await tick();
    await tick(5_000);
    await expect(quick.get()).resolves.toBe('q');
    const seen = a.get(SemanticsListeners).seen;
    expect(seen).toContainEqual({
      type: 'task-failed',
      name: 'sem.autoretry',
      cause: 'FatalFlakyError',
    });
    expect(seen).toContainEqual({ type: 'task-retried', name: 'sem.retry' });
    expect(seen).toContainEqual({ type: 'task-returned', name: 'sem.quick', state: 'SUCCESS' });
    expect(seen).toContainEqual({ type: 'task-returned', name: 'sem.autoretry', state: 'FAILURE' });
  });
});
