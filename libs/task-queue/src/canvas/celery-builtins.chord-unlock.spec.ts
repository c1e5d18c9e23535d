import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Retry } from '../errors/task-signals.js';
import { resultTuple } from '../results/chord-parts.js';
import { MemoryResultBackend } from '../transports/memory/memory.result-backend.js';
import { CeleryBuiltinTasks } from './celery-builtins.tasks.js';
import { outcomeMeta } from './outcome-meta.js';

/** A memory backend that counts its reads. */
class CountingBackend extends MemoryResultBackend {
  reads = 0;
  override get(taskId: string): ReturnType<MemoryResultBackend['get']> {
    this.reads++;
    return super.get(taskId);
  }
}

const body = { task: 'interop.tsum', args: [], kwargs: {}, options: {}, subtask_type: null };

describe('celery.chord_unlock', () => {
  it('stops reading the header at the results not ready yet, as Celery deps.ready()', async () => {
    const backend = new CountingBackend(randomUUID());
    const ids = Array.from({ length: 1000 }, () => randomUUID());
    for (const id of ids.slice(0, 10)) await backend.store(outcomeMeta(id, 'SUCCESS', 1));
    const tasks = new CeleryBuiltinTasks(null as never, null as never, null as never, backend);
    const check = tasks.chordUnlock(
      randomUUID(),
      body,
      1,
      null,
      ids.map((id) => resultTuple(id)),
    );
    await expect(check).rejects.toBeInstanceOf(Retry);
    // Each check of a 1,000-task header waiting on its 11th result reads a few dozen, not 1,000.
    expect(backend.reads).toBeLessThanOrEqual(100);
  });
});
