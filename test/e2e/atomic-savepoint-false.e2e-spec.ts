import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AtomicBlockFailedError } from 'celeriac';
import { atomic, drainOnCommit, onCommit } from 'celeriac/typeorm';
import { ItemSchema, useCommitHooksDatabase, itemExists } from '../support/typeorm-drivers.js';

/**
 * Django's `atomic(savepoint=False)`: when the block fails, "Django will perform the rollback
 * when exiting the first parent block with a savepoint if there is one, and the outermost
 * block otherwise", even if the caller caught the error. Its writes and every `onCommit`
 * callback of that level are dropped.
 */
describe.each(['postgres', 'mariadb'] as const)('atomic({ savepoint: false }) on %s', (driver) => {
  const db = useCommitHooksDatabase(driver);
  const exists = (id: string): Promise<boolean> => itemExists(db.dataSource, id);

  it('a failed block rolls back the transaction it joined, callbacks included, though its error was caught', async () => {
    const [outer, inner] = [randomUUID(), randomUUID()];
    const ran: string[] = [];
    const done = atomic(db.dataSource, async (m) => {
      await m.insert(ItemSchema, { id: outer });
      await onCommit(() => void ran.push('outer'));
      await atomic(
        db.dataSource,
        async (joined) => {
          await joined.insert(ItemSchema, { id: inner });
          await onCommit(() => void ran.push('inner'));
          throw new Error('block failed');
        },
        { savepoint: false },
      ).catch(() => undefined); // "log and go on"
    });
    await expect(done).rejects.toBeInstanceOf(AtomicBlockFailedError);
    await drainOnCommit();
    expect(ran).toEqual([]);
    expect(await exists(outer)).toBe(false);
    expect(await exists(inner)).toBe(false);
  });

  it('inside a savepoint, only that savepoint is rolled back; the outer transaction commits', async () => {
    const [outer, middle, inner] = [randomUUID(), randomUUID(), randomUUID()];
    const ran: string[] = [];
    await atomic(db.dataSource, async (m) => {
      await m.insert(ItemSchema, { id: outer });
      await onCommit(() => void ran.push('outer'));
      const savepoint = atomic(db.dataSource, async (sp) => {
        await sp.insert(ItemSchema, { id: middle });
        await onCommit(() => void ran.push('middle'));
        await atomic(
          db.dataSource,
          async (joined) => {
            await joined.insert(ItemSchema, { id: inner });
            throw new Error('block failed');
          },
          { savepoint: false },
        ).catch(() => undefined);
      });
      await expect(savepoint).rejects.toBeInstanceOf(AtomicBlockFailedError);
    });
    expect(ran).toEqual(['outer']);
    expect(await exists(outer)).toBe(true);
    expect(await exists(middle)).toBe(false);
    expect(await exists(inner)).toBe(false);
  });

  it('a block that succeeds, or whose error propagates, behaves as before', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    await atomic(db.dataSource, async () => {
      await atomic(db.dataSource, (joined) => joined.insert(ItemSchema, { id: a }), {
        savepoint: false,
      });
    });
    expect(await exists(a)).toBe(true);
    const failing = atomic(db.dataSource, async () => {
      await atomic(
        db.dataSource,
        async (joined) => {
          await joined.insert(ItemSchema, { id: b });
          throw new Error('propagates');
        },
        { savepoint: false },
      );
    });
    await expect(failing).rejects.toThrow('propagates');
    expect(await exists(b)).toBe(false);
    // The next transaction on the same pooled connection is not affected.
    await atomic(db.dataSource, (m) => m.insert(ItemSchema, { id: randomUUID() }));
  });
});
