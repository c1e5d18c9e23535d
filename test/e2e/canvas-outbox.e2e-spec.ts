import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { chain, chord, group, TaskEvents, type AsyncResult, type GroupResult } from 'celeriac';
import { TaskOutbox } from 'celeriac/typeorm';
import { useCanvasApp, type CanvasHarness } from '../support/canvas-harness.js';
import { REDIS_OUTBOX } from '../support/canvas-transports.js';

/**
 * `applyAsyncOnCommit` of a canvas in outbox mode (TypeORM on PostgreSQL, Redis broker and
 * results): every message of the canvas is written to `task_outbox` in the transaction and goes
 * out once after COMMIT; nothing after a rollback; and a process killed after COMMIT, before its
 * fast path published, loses nothing: this worker's relay sends the whole canvas, once.
 */
const T = { timeout: 20_000 };
const h = useCanvasApp(REDIS_OUTBOX);

/** `group(chain(add(1,1), add(1)), chord([add(2,2), add(3,3)], tsum))`: 3 messages, [3, 10]. */
const canvas = (x: CanvasHarness) =>
  group(chain(x.add.s(1, 1), x.add.s(1)), chord([x.add.s(2, 2), x.add.s(3, 3)], x.tsum.s()));

/** Every task id of a handle tree. */
function idsOf(handle: AsyncResult | GroupResult<readonly unknown[]> | null): string[] {
  if (!handle) return [];
  const own = 'results' in handle ? handle.results.flatMap(idsOf) : [handle.id];
  return [...own, ...idsOf(handle.parent)];
}

const outboxRows = () => h.transport.dataSource!.getRepository(TaskOutbox).count();

/** Task ids this worker started, each time it started one. */
function startedIds(): { ids: string[]; stop(): void } {
  const ids: string[] = [];
  const sub = h.app
    .get(TaskEvents)
    .on('task-started')
    .subscribe((e) => ids.push(e.taskId));
  return { ids, stop: () => sub.unsubscribe() };
}

/** Run test/fixtures/canvas-outbox-crash.ts; resolves its exit signal and what it printed. */
function crashChild(): Promise<{ signal: NodeJS.Signals | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        'test/fixtures/transaction-run-ts.mjs',
        'test/fixtures/canvas-outbox-crash.ts',
        h.transport.schema!,
        h.nodeQueue,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      signal ? resolve({ signal, stdout }) : reject(new Error(`child exited ${code}: ${stderr}`)),
    );
  });
}

describe('canvas applyAsyncOnCommit in outbox mode (PostgreSQL)', () => {
  it('written in the transaction, sent once after COMMIT', async () => {
    const started = startedIds();
    let handle!: GroupResult<[number, number]>;
    await h.transport.dataSource!.transaction(async (manager) => {
      handle = h.track(await canvas(h).applyAsyncOnCommit(undefined, { manager }));
      expect(await manager.getRepository(TaskOutbox).count()).toBe(3);
    });
    expect(await handle.get(T)).toEqual([3, 10]);
    await expect.poll(outboxRows, { timeout: 10_000 }).toBe(0);
    started.stop();
    expect(started.ids.sort()).toEqual(idsOf(handle).sort());
  });

  it('nothing is sent after a rollback', async () => {
    let rolledBack!: GroupResult<[number, number]>;
    await h.transport
      .dataSource!.transaction(async (manager) => {
        rolledBack = h.track(await canvas(h).applyAsyncOnCommit(undefined, { manager }));
        throw new Error('rollback');
      })
      .catch(() => undefined);
    expect(await outboxRows()).toBe(0);
    // A canvas sent afterwards finishes; the rolled-back one never ran.
    expect(await h.track(await canvas(h).delay()).get(T)).toEqual([3, 10]);
    for (const id of idsOf(rolledBack)) expect(await h.client.result(id).state()).toBe('PENDING');
  });

  it('killed after COMMIT, before publishing: the relay sends the whole canvas once', async () => {
    const started = startedIds();
    const { signal, stdout } = await crashChild();
    expect(signal).toBe('SIGKILL');
    // Within the grace period the rows wait for a fast path that died with the process.
    expect(await outboxRows()).toBe(3);
    const printed = JSON.parse(stdout.trim()) as { id: string; results: { id: string }[] };
    const [chained, chordBody] = printed.results.map((r) => h.client.result<number>(r.id));
    h.ids.push(chained!.id, chordBody!.id);
    expect(await chained!.get(T)).toBe(3);
    expect(await chordBody!.get(T)).toBe(10);
    await expect.poll(outboxRows, { timeout: 10_000 }).toBe(0);
    started.stop();
    // chain: 2 steps; chord: 2 header tasks and the body; each started exactly once.
    expect(started.ids).toHaveLength(5);
    expect(new Set(started.ids).size).toBe(5);
  });
});
