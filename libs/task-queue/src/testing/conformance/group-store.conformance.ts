import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import type { ResultBackend } from '../../contracts/result-backend.interface.js';
import { isGroupStore } from '../../contracts/group-store.interface.js';
import { GroupStoreUnsupportedError } from '../../errors/group-store-unsupported.error.js';
import { resultTuple, type ResultTuple } from '../../results/chord-parts.js';
import { resultFromTuple } from '../../results/async-result.js';
import { GroupResult } from '../../results/group-result.js';

/**
 * `GroupResult.save()` / `restoreGroup` on a result backend: a backend that keeps groups saves
 * the member tuples (nested groups included) where another instance restores them in order;
 * one that does not (rpc://, as in Celery) refuses with {@link GroupStoreUnsupportedError}.
 * Called inside {@link describeResultBackendConformance}.
 */
export function describeGroupStoreConformance(open: () => Promise<ResultBackend>): void {
  it('GroupResult.save(): restored by another instance, or refused with GroupStoreUnsupportedError', async () => {
    const writer = await open();
    const nested: ResultTuple = [[randomUUID(), null], [resultTuple(randomUUID())]];
    const tuple: ResultTuple = [
      [randomUUID(), null],
      [resultTuple(randomUUID()), nested, resultTuple(randomUUID())],
    ];
    const group = resultFromTuple(tuple, writer) as GroupResult;
    if (!isGroupStore(writer)) {
      await expect(group.save()).rejects.toBeInstanceOf(GroupStoreUnsupportedError);
      return;
    }
    await group.save();
    const reader = await open();
    if (!isGroupStore(reader)) throw new Error('a second instance lost the group store');
    const saved = await reader.restoreGroup(group.id);
    expect(saved?.children).toEqual(tuple[1]);
    expect(saved?.taskIds).toEqual(tuple[1]!.map((c) => c[0][0]));
    const restored = resultFromTuple([[group.id, null], saved!.children], reader) as GroupResult;
    expect(restored.results[1]).toBeInstanceOf(GroupResult);
    expect(await reader.restoreGroup(randomUUID())).toBeNull();
    await writer.forgetGroup(group.id);
  });
}
