import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  app,
  closeApp,
  stateOf,
  tick,
  useSemanticsHarness,
} from '../__fixtures__/semantics-harness.js';
import { SemanticsTasks } from '../__fixtures__/semantics.fixture.js';
import { TaskClient } from '../producer/task.client.js';
import { DeadLetters } from './dead-letters.js';
import { RevokedTasks } from '../revocation/revoked-tasks.js';
import { WorkerService } from './worker.service.js';

// Retries, signals, time limits, ETA and expiry (rate limits, revocation, acks, dedupe and
// hooks: delivery-semantics.spec.ts).
useSemanticsHarness();

describe('retries', () => {
  it('autoretries with exponential backoff, republishing the same id with retries + 1', async () => {
    const a = await app();
    const tasks = a.get(TaskClient);
    const key = randomUUID();
    const result = await tasks.send('sem.autoretry', [key, 'flaky-once']);
    await tick();
    expect(await stateOf(result)).toBe('RETRY');
    expect(a.get(SemanticsTasks).runs.get(key)).toHaveLength(1);
    await tick(1_999); // backoff 2 s (base 2, retries 0, no jitter)
    expect(a.get(SemanticsTasks).runs.get(key)).toHaveLength(1);
    await tick(1);
    expect(await stateOf(result)).toBe('SUCCESS');
    expect((await result.meta())?.retries).toBe(1);
    await expect(result.get()).resolves.toBe('ok after 2');
  });

  it('fails with MaxRetriesExceededError after the last attempt and dead-letters the message', async () => {
    const a = await app();
    const key = randomUUID();
    const result = await a.get(TaskClient).send('sem.autoretry', [key, 'flaky']);
    await tick();
    await tick(2_000); // retry 1 after 2 s
    await tick(4_000); // retry 2 after 4 s
    expect(a.get(SemanticsTasks).runs.get(key)).toHaveLength(3);
    const error = await result.get().catch((e: unknown) => e);
    // Celery re-raises the original error when retries are exhausted through autoretry.
    expect(error).toMatchObject({ name: 'FlakyError', message: 'attempt 3' });
    expect(await a.get(DeadLetters).count('celery')).toBe(1);
  });

  it('does not autoretry errors listed in dontAutoretryFor, nor UnrecoverableError', async () => {
    const a = await app();
    const tasks = a.get(TaskClient);
    const fatal = await tasks.send('sem.autoretry', ['fatal-key', 'fatal']);
    const unrecoverable = await tasks.send('sem.unrecoverable', ['u-key']);
    await tick();
    expect(await stateOf(fatal)).toBe('FAILURE');
    expect(await stateOf(unrecoverable)).toBe('FAILURE');
    expect(a.get(SemanticsTasks).runs.get('u-key')).toHaveLength(1);
  });

  it('retries from the handler with a countdown, and keeps the count across a worker restart', async () => {
    const name = `restart-${randomUUID()}`;
    const shared = { broker: `memory://${name}`, resultBackend: `memory://${name}` };
    await app({ ...shared, worker: { enabled: false } }); // keeps the store across the restart
    const first = await app(shared);
    const key = randomUUID();
    const result = await first.get(TaskClient).send('sem.retry', [key, 2]);
    await tick();
    expect(await stateOf(result)).toBe('RETRY');
    await closeApp(first); // the retried message waits in the broker
    const second = await app(shared);
    await tick(5_000);
    await tick(5_000);
    expect(await stateOf(result)).toBe('SUCCESS');
    await expect(result.get()).resolves.toBe(2);
    expect(second.get(SemanticsTasks).runs.get(key)).toHaveLength(2);
  });

  it('a retry keeps the parent of a child task, and names the task itself only when it had none (as Celery)', async () => {
    const a = await app();
    const tasks = a.get(TaskClient);
    const parentId = randomUUID();
    const child = await tasks.send(
      'sem.autoretry',
      [randomUUID(), 'flaky-once'],
      {},
      {
        headers: { parent_id: parentId },
      },
    );
    const top = await tasks.send('sem.autoretry', [randomUUID(), 'flaky-once']);
    await tick();
    await tick(2_000);
    expect(await stateOf(child)).toBe('SUCCESS');
    expect(await stateOf(top)).toBe('SUCCESS');
    expect((await child.meta())?.parent_id).toBe(parentId);
    expect((await top.meta())?.parent_id).toBe(top.id);
  });
});

describe('signals', () => {
  it('Ignore acks and records nothing; Reject dead-letters with the reason', async () => {
    const a = await app();
    const tasks = a.get(TaskClient);
    const ignored = await tasks.send('sem.ignore');
    const rejected = await tasks.send('sem.reject');
    await tick();
    expect(await stateOf(ignored)).toBe('PENDING');
    expect(await stateOf(rejected)).toBe('PENDING');
    const [letter] = await a.get(DeadLetters).peek('celery');
    expect(letter?.headers['x-celeriac-dead-reason']).toBe('rejected: refused by handler');
  });
});

describe('time limits', () => {
  it('fires the AbortSignal with SoftTimeLimitExceededError at the soft limit', async () => {
    const a = await app();
    const result = await a.get(TaskClient).send('sem.soft');
    await tick(999);
    expect(await stateOf(result)).toBe('PENDING');
    await tick(1);
    await expect(result.get()).resolves.toBe('SoftTimeLimitExceededError');
  });

  it('fails as SoftTimeLimitExceeded, not AbortError, when the handler passed its signal to a Node API', async () => {
    // events.once, timers/promises and streams reject with an AbortError whose cause is the
    // reason; Celery's task interrupted there fails with SoftTimeLimitExceeded.
    const a = await app();
    const result = await a.get(TaskClient).send('sem.soft-once');
    await tick(1_000);
    await expect(result.get()).rejects.toMatchObject({ excType: 'SoftTimeLimitExceeded' });
  });

  it('keeps an AbortError of another signal, raised after the soft limit, as the handler own', async () => {
    // fetch rejects with that other signal's reason, a DOMException without a cause.
    const a = await app();
    const result = await a.get(TaskClient).send('sem.soft-foreign');
    await tick(1_000);
    await expect(result.get()).rejects.toMatchObject({ excType: 'AbortError' });
  });

  it("fails as SoftTimeLimitExceeded when a library's AbortError dropped the reason", async () => {
    const a = await app();
    const result = await a.get(TaskClient).send('sem.soft-dropped-cause');
    await tick(1_000);
    await expect(result.get()).rejects.toMatchObject({ excType: 'SoftTimeLimitExceeded' });
  });

  it('runs abort listeners in the task context, so they can read TaskContext', async () => {
    const a = await app();
    const result = await a.get(TaskClient).send('sem.soft-listener');
    await tick(1_000);
    await expect(result.get()).resolves.toBe(`${result.id} SoftTimeLimitExceededError`);
  });

  it('fails at the hard limit and frees the slot although the handler ignores its signal', async () => {
    const a = await app({ worker: { concurrency: 1 } });
    const tasks = a.get(TaskClient);
    const hard = await tasks.send('sem.hard');
    const next = await tasks.send('sem.quick', ['after-hard']);
    await tick(1_000);
    await expect(hard.get()).rejects.toMatchObject({
      name: 'TimeLimitExceeded',
      excModule: 'celery.exceptions',
    });
    await tick();
    await expect(next.get()).resolves.toBe('after-hard');
  });
});

describe('ETA and expiry', () => {
  it('does not start a countdown task before its ETA, parking far ones in the broker', async () => {
    const a = await app();
    const key = randomUUID();
    const result = await a.get(TaskClient).send('sem.quick', [key], {}, { countdown: 60 });
    await tick(59_000);
    expect(a.get(SemanticsTasks).runs.get(key)).toBeUndefined();
    expect(a.get(WorkerService).snapshot().scheduled).toHaveLength(0); // parked, not held
    await tick(1_000);
    await expect(result.get()).resolves.toBe(key);
  });

  it('revokes an expired task with reason expired instead of running it', async () => {
    const a = await app({ worker: { concurrency: 1 } });
    const tasks = a.get(TaskClient);
    await tasks.send('sem.hard'); // occupies the only slot for 1 s
    const key = randomUUID();
    const result = await tasks.send('sem.quick', [key], {}, { expires: 0.5 });
    await tick(1_000);
    await tick();
    await expect(result.get()).rejects.toMatchObject({
      name: 'TaskRevokedError',
      reason: 'expired',
    });
    expect(a.get(SemanticsTasks).runs.get(key)).toBeUndefined();
  });

  it('settles a far-ETA task that is expired, revoked or unknown when it arrives, without parking it (as Celery)', async () => {
    const name = `eta-receipt-${randomUUID()}`;
    const shared = { broker: `memory://${name}`, resultBackend: `memory://${name}` };
    const producer = await app({ ...shared, worker: { enabled: false } });
    const tasks = producer.get(TaskClient);
    const later = { countdown: 3_600 };
    const expired = await tasks.send('sem.quick', ['x'], {}, { ...later, expires: 1 });
    const revoked = await tasks.send('sem.quick', ['r'], {}, later);
    await producer.get(RevokedTasks).revoke(revoked.id);
    const unknown = await tasks.send('no.such.task', [], {}, later);
    await tick(2_000); // the worker was down: `expired` is past its expiry when it arrives
    const worker = await app(shared);
    await tick();
    expect([await expired.state(), await revoked.state()]).toEqual(['REVOKED', 'REVOKED']);
    await expect(expired.get()).rejects.toMatchObject({ reason: 'expired' });
    await expect(revoked.get()).rejects.toMatchObject({ reason: 'revoked' });
    expect(await unknown.state()).toBe('FAILURE');
    expect(await worker.get(DeadLetters).count('celery')).toBe(1);
  });
});
