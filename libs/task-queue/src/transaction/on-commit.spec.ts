import { AsyncLocalStorage } from 'node:async_hooks';
import { Logger } from '@nestjs/common';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  DataSource,
  EntitySchema,
  type EntitySubscriberInterface,
  type InsertEvent,
} from 'typeorm';
import { NoActiveTransactionError } from '../errors/no-active-transaction.error.js';
import { captureOnCommitCallbacks } from '../testing/capture-on-commit.js';
import { installCommitHooks } from './commit-hooks.installer.js';
import { commitHooksRegistry } from './commit-hooks.registry.js';
import { commitHooksRunner, drainOnCommit } from './commit-hooks.runner.js';
import { configureOnCommit, resetOnCommitConfig } from './on-commit.config.js';
import { onCommit, resolveCurrentManager } from './on-commit.js';
import { atomic } from './transaction-context.js';

interface Note {
  id: number;
  text: string;
}
const NoteSchema = new EntitySchema<Note>({
  name: 'Note',
  tableName: 'note',
  columns: { id: { type: Number, primary: true, generated: true }, text: { type: String } },
});

describe('onCommit (sql.js)', () => {
  let dataSource: DataSource;
  let log: string[];
  const push = (tag: string) => () => void log.push(tag);

  beforeEach(async () => {
    log = [];
    dataSource = new DataSource({ type: 'sqljs', entities: [NoteSchema], synchronize: true });
    await dataSource.initialize();
    installCommitHooks(dataSource);
  });
  afterEach(async () => {
    await drainOnCommit();
    resetOnCommitConfig();
    await dataSource.destroy();
  });

  it('runs callbacks once, in order, only after the commit', async () => {
    await dataSource.transaction(async (m) => {
      await onCommit(m, push('A'));
      await onCommit(m, push('B'));
      expect(log).toEqual([]);
    });
    await drainOnCommit();
    expect(log).toEqual(['A', 'B']);
  });

  it('drops callbacks on rollback and forgets the transaction', async () => {
    let runner: DataSource['manager']['queryRunner'];
    await expect(
      dataSource.transaction(async (m) => {
        runner = m.queryRunner;
        await onCommit(m, push('A'));
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await drainOnCommit();
    expect(log).toEqual([]);
    expect(commitHooksRegistry.has(runner!)).toBe(false);
  });

  it('hands a released savepoint’s callbacks to its parent', async () => {
    await dataSource.transaction(async (m) => {
      await onCommit(m, push('A'));
      await m.transaction(async (inner) => onCommit(inner, push('B')));
      expect(log).toEqual([]);
      await onCommit(m, push('C'));
    });
    await drainOnCommit();
    expect(log).toEqual(['A', 'B', 'C']);
  });

  it('drops the callbacks of a rolled-back savepoint', async () => {
    await dataSource.transaction(async (m) => {
      await onCommit(m, push('A'));
      await m
        .transaction(async (inner) => {
          await onCommit(inner, push('B'));
          throw new Error('inner');
        })
        .catch(() => undefined);
      await onCommit(m, push('C'));
    });
    await drainOnCommit();
    expect(log).toEqual(['A', 'C']);
  });

  it('deep nesting: a rolled-back middle savepoint drops itself and its children', async () => {
    await dataSource.transaction(async (m) => {
      await onCommit(m, push('A'));
      await m
        .transaction(async (middle) => {
          await onCommit(middle, push('B'));
          await middle.transaction(async (inner) => onCommit(inner, push('C')));
          throw new Error('middle');
        })
        .catch(() => undefined);
      await m.transaction(async (s1) => s1.transaction(async (s2) => onCommit(s2, push('D'))));
    });
    await drainOnCommit();
    expect(log).toEqual(['A', 'D']);
  });

  it('deep nesting: a released inner savepoint followed by an outer rollback drops all', async () => {
    await dataSource
      .transaction(async (m) => {
        await m.transaction(async (s1) => s1.transaction(async (s2) => onCommit(s2, push('B'))));
        throw new Error('outer');
      })
      .catch(() => undefined);
    await drainOnCommit();
    expect(log).toEqual([]);
  });

  it('runs at once without a transaction, and rejects (not throws) in strict mode', async () => {
    let done = false;
    await onCommit(async () => {
      await new Promise((r) => setTimeout(r, 5));
      done = true;
    });
    expect(done).toBe(true);
    await onCommit(dataSource.manager, push('explicit'));
    expect(log).toEqual(['explicit']);
    configureOnCommit({ strict: true });
    let pending: Promise<void> | undefined;
    expect(() => (pending = onCommit(push('x')))).not.toThrow();
    await expect(pending).rejects.toThrow(NoActiveTransactionError);
    await expect(onCommit(dataSource.manager, push('x'))).rejects.toThrow(/strict mode/);
    expect(log).toEqual(['explicit']);
  });

  it('late registration after the commit runs at once (strict: throws)', async () => {
    let manager: DataSource['manager'] | undefined;
    await dataSource.transaction(async (m) => {
      manager = m;
    });
    await onCommit(manager!, push('late'));
    expect(log).toEqual(['late']);
  });

  it('defers callbacks registered by a subscriber during the implicit save() transaction', async () => {
    const subscriber: EntitySubscriberInterface<Note> = {
      afterInsert: (event: InsertEvent<Note>) =>
        void onCommit(event.manager, push(`saved ${event.entity.text}`)),
    };
    dataSource.subscribers.push(subscriber);
    const repo = dataSource.getRepository(NoteSchema);
    const saving = repo.save({ text: 'a' });
    await saving;
    await repo.save({ text: 'b' }, { data: { some: 'data' } });
    await drainOnCommit();
    expect(log).toEqual(['saved a', 'saved b']);
  });

  it('isolates errors: a failing non-robust callback stops later ones, the commit stands', async () => {
    const errors: string[] = [];
    const off = commitHooksRunner.onError((e) => errors.push(e.name));
    await dataSource.transaction(async (m) => {
      await m.getRepository(NoteSchema).insert({ text: 'kept' });
      await onCommit(m, push('A'));
      await onCommit(
        m,
        () => {
          throw new Error('bad');
        },
        { name: 'failing' },
      );
      await onCommit(m, push('C'));
    });
    await drainOnCommit();
    off();
    expect(log).toEqual(['A']);
    expect(errors).toEqual(['failing']);
    expect(await dataSource.getRepository(NoteSchema).count()).toBe(1);
  });

  it('robust callbacks let the others run', async () => {
    await dataSource.transaction(async (m) => {
      await onCommit(m, () => Promise.reject(new Error('bad')), { robust: true });
      await onCommit(m, push('C'));
    });
    await drainOnCommit();
    expect(log).toEqual(['C']);
  });

  it('atomic() rethrows a non-robust callback error after the commit', async () => {
    await expect(
      atomic(dataSource, async (m) => {
        await m.getRepository(NoteSchema).insert({ text: 'kept' });
        await onCommit(() => {
          throw new Error('callback failed');
        });
      }),
    ).rejects.toThrow('callback failed');
    expect(await dataSource.getRepository(NoteSchema).count()).toBe(1);
  });

  it('atomic() nests with savepoints and resolves after its callbacks ran', async () => {
    await atomic(dataSource, async () => {
      await onCommit(push('A'));
      await atomic(dataSource, async () => {
        await onCommit(push('B'));
        throw new Error('inner');
      }).catch(() => undefined);
      await atomic(dataSource, async () => onCommit(push('C')));
    });
    expect(log).toEqual(['A', 'C']);
  });

  it('runs callbacks outside the transaction context but keeps unrelated context', async () => {
    const request = new AsyncLocalStorage<string>();
    const seen: Array<[boolean, string | undefined]> = [];
    await request.run('req-1', () =>
      atomic(dataSource, async () => {
        await onCommit(async () => {
          seen.push([resolveCurrentManager() !== undefined, request.getStore()]);
          await onCommit(push('nested ran at once'));
          expect(log).toEqual(['nested ran at once']);
        });
      }),
    );
    expect(seen).toEqual([[false, 'req-1']]);
  });

  it('installs the subscriber lazily on first use', async () => {
    const other = new DataSource({ type: 'sqljs', entities: [NoteSchema], synchronize: true });
    await other.initialize();
    await other.transaction(async (m) => onCommit(m, push('lazy')));
    await drainOnCommit();
    expect(log).toEqual(['lazy']);
    installCommitHooks(other);
    installCommitHooks(other);
    await other.transaction(async (m) => onCommit(m, push('once')));
    await drainOnCommit();
    expect(log).toEqual(['lazy', 'once']);
    await other.destroy();
  });

  it('refuses to install before initialize()', () => {
    const fresh = new DataSource({ type: 'sqljs', entities: [NoteSchema] });
    expect(installCommitHooks(fresh)).toBe(false);
  });

  it('captureOnCommitCallbacks records instead of running, and can execute', async () => {
    const { callbacks } = await captureOnCommitCallbacks(() =>
      dataSource.transaction(async (m) => onCommit(m, push('A'), { name: 'a' })),
    );
    await drainOnCommit();
    expect(log).toEqual([]);
    expect(callbacks.map((c) => c.name)).toEqual(['a']);
    await captureOnCommitCallbacks(async () => onCommit(push('B')), { execute: true });
    expect(log).toEqual(['B']);
  });

  it('a failing callback that skips the later ones names them, and says which one to make robust', async () => {
    const errors: string[] = [];
    const spy = vi.spyOn(Logger.prototype, 'error').mockImplementation((line: unknown) => {
      errors.push(String(line));
    });
    try {
      await dataSource.transaction(async (m) => {
        const fail = (): void => {
          throw new Error('boom');
        };
        await onCommit(m, fail, { name: 'audit' });
        await onCommit(m, push('task'), { name: 'orders.process[42]', robust: true });
        await onCommit(m, push('mail'), { name: 'mail' });
      });
      await drainOnCommit().catch(() => undefined);
    } finally {
      spy.mockRestore();
    }
    expect(log).toEqual([]);
    const skipped = errors.find((line) => line.includes('Skipped'));
    expect(skipped).toContain('orders.process[42], mail');
    expect(skipped).toContain('{ robust: true } to audit');
  });
});
