import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { outcomeMeta } from '../canvas/outcome-meta.js';
import { RemoteTaskError } from '../errors/remote-task.error.js';
import { TaskRevokedError } from '../errors/task-revoked.error.js';
import { TaskTimeoutError } from '../errors/task-timeout.error.js';
import { MemoryResultBackend } from '../transports/memory/memory.result-backend.js';
import { AsyncResult } from './async-result.js';
import { GroupResult } from './group-result.js';

const failure = (message: string) => ({
  exc_type: 'ValueError',
  exc_message: [message],
  exc_module: 'builtins',
});

/** `chain(a, b, c)`'s handles: c, whose parent is b, whose parent is a. */
function chainOf(backend: MemoryResultBackend): [AsyncResult, AsyncResult, AsyncResult] {
  const [a, b, c] = [0, 1, 2].map(() => new AsyncResult(randomUUID(), backend));
  b!.parent = a!;
  c!.parent = b!;
  return [a!, b!, c!];
}

describe('AsyncResult.get follows parents (Celery follow_parents)', () => {
  it('rejects at once with the error of a parent that already failed', async () => {
    const backend = new MemoryResultBackend(randomUUID());
    const [a, , c] = chainOf(backend);
    await backend.store(outcomeMeta(a.id, 'FAILURE', failure('a broke')));
    const error = await c.get({ timeout: 5_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteTaskError);
    expect(error).toMatchObject({ taskId: a.id, excType: 'ValueError', message: 'a broke' });
  });

  it('rejects when a parent fails while it waits, and with the first failed step', async () => {
    const backend = new MemoryResultBackend(randomUUID());
    const [a, b, c] = chainOf(backend);
    const waiting = c.get().catch((e: unknown) => e);
    await backend.store(outcomeMeta(a.id, 'FAILURE', failure('a broke')));
    await backend.store(outcomeMeta(b.id, 'FAILURE', failure('b broke')));
    expect(await waiting).toMatchObject({ taskId: a.id, message: 'a broke' });
  });

  it('rejects with TaskRevokedError for a revoked parent, whose next steps are never stored', async () => {
    const backend = new MemoryResultBackend(randomUUID());
    const [, b, c] = chainOf(backend);
    const waiting = c.get().catch((e: unknown) => e);
    await backend.store(outcomeMeta(b.id, 'REVOKED', failure('revoked')));
    const error = await waiting;
    expect(error).toBeInstanceOf(TaskRevokedError);
    expect((error as TaskRevokedError).taskId).toBe(b.id);
  });

  it("follows a chord body's header group (and the group's parent)", async () => {
    const backend = new MemoryResultBackend(randomUUID());
    const first = new AsyncResult(randomUUID(), backend);
    const members = [
      new AsyncResult(randomUUID(), backend),
      new AsyncResult(randomUUID(), backend),
    ];
    const header = new GroupResult(randomUUID(), members, backend);
    header.parent = first;
    const body = new AsyncResult(randomUUID(), backend);
    body.parent = header;
    await backend.store(outcomeMeta(first.id, 'SUCCESS', 1));
    const waiting = body.get().catch((e: unknown) => e);
    await backend.store(outcomeMeta(members[1]!.id, 'FAILURE', failure('member broke')));
    expect(await waiting).toMatchObject({ taskId: members[1]!.id, message: 'member broke' });
  });

  it('resolves the value when the parents succeed', async () => {
    const backend = new MemoryResultBackend(randomUUID());
    const [a, b, c] = chainOf(backend);
    const waiting = c.get({ timeout: 5_000 });
    await backend.store(outcomeMeta(a.id, 'SUCCESS', 1));
    await backend.store(outcomeMeta(b.id, 'SUCCESS', 2));
    await backend.store(outcomeMeta(c.id, 'SUCCESS', 3));
    expect(await waiting).toBe(3);
  });

  it('waits for the task only with followParents: false or propagate: false', async () => {
    const backend = new MemoryResultBackend(randomUUID());
    const [a, , c] = chainOf(backend);
    await backend.store(outcomeMeta(a.id, 'FAILURE', failure('a broke')));
    await expect(c.get({ timeout: 100, followParents: false })).rejects.toBeInstanceOf(
      TaskTimeoutError,
    );
    await expect(c.get({ timeout: 100, propagate: false })).rejects.toBeInstanceOf(
      TaskTimeoutError,
    );
  });
});
