import { Logger } from '@nestjs/common';
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { DataSource, EntitySchema } from 'typeorm';
import { installCommitHooks, uninstallCommitHooks } from './commit-hooks.installer.js';
import { drainOnCommit } from './commit-hooks.runner.js';
import { onCommit, resetUntrackedWarning } from './on-commit.js';

const NoteSchema = new EntitySchema<{ id: number }>({
  name: 'Note',
  tableName: 'note',
  columns: { id: { type: Number, primary: true, generated: true } },
});

describe('onCommit(fn) when no DataSource is tracked (a forgotten typeorm: { dataSource })', () => {
  let dataSource: DataSource;
  let log: string[];
  let warn: MockInstance<Logger['warn']>;

  beforeEach(async () => {
    log = [];
    resetUntrackedWarning();
    warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    dataSource = new DataSource({ type: 'sqljs', entities: [NoteSchema], synchronize: true });
    await dataSource.initialize();
  });
  afterEach(async () => {
    warn.mockRestore();
    await drainOnCommit();
    uninstallCommitHooks(dataSource);
    await dataSource.destroy();
  });

  const untrackedWarnings = () =>
    warn.mock.calls.filter(([message]: unknown[]) =>
      String(message).includes('UNTRACKED_ON_COMMIT'),
    );

  it('runs the callback inside the transaction, and says once how to give the module the DataSource', async () => {
    await dataSource.transaction(async () => {
      await onCommit(() => void log.push('first'));
      await onCommit(() => void log.push('second'));
      log.push('still in the transaction');
    });
    expect(log).toEqual(['first', 'second', 'still in the transaction']);
    expect(untrackedWarnings()).toHaveLength(1);
    const [message] = untrackedWarnings()[0]!;
    expect(message).toContain('no TypeORM DataSource is tracked');
    expect(message).toContain('typeorm: { dataSource }');
    expect(message).toContain('installCommitHooks(dataSource)');
  });

  it('says nothing once the DataSource is tracked, and waits for the COMMIT', async () => {
    installCommitHooks(dataSource);
    await dataSource.transaction(async () => {
      await onCommit(() => void log.push('after commit'));
      log.push('in the transaction');
    });
    await drainOnCommit();
    expect(log).toEqual(['in the transaction', 'after commit']);
    await onCommit(() => void log.push('no transaction'));
    expect(untrackedWarnings()).toEqual([]);
  });
});

describe('onCommit(fn, { dataSource }) naming a DataSource the module does not track (Django: using=)', () => {
  let tracked: DataSource;
  let other: DataSource;
  let log: string[];
  let warn: MockInstance<Logger['warn']>;
  const rollback = (): never => {
    throw new Error('rollback');
  };

  beforeEach(async () => {
    log = [];
    warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    [tracked, other] = [
      new DataSource({ type: 'sqljs', entities: [NoteSchema], synchronize: true }),
      new DataSource({ type: 'sqljs', entities: [NoteSchema], synchronize: true }),
    ];
    await Promise.all([tracked.initialize(), other.initialize()]);
    installCommitHooks(tracked);
  });
  afterEach(async () => {
    warn.mockRestore();
    await drainOnCommit();
    uninstallCommitHooks(tracked);
    uninstallCommitHooks(other);
    await Promise.all([tracked.destroy(), other.destroy()]);
  });

  const untrackedWarnings = () =>
    warn.mock.calls.filter(([message]: unknown[]) =>
      String(message).includes('UNTRACKED_DATA_SOURCE'),
    );

  it('waits for the COMMIT of its transaction(), drops on rollback, keeps savepoint semantics', async () => {
    const push = (tag: string) => () => void log.push(tag);
    await other.transaction(async (m) => {
      await onCommit(push('A'), { dataSource: other });
      await m
        .transaction(async () => {
          await onCommit(push('dropped with its savepoint'), { dataSource: other });
          rollback();
        })
        .catch(() => undefined);
      await m.transaction(async () => onCommit(push('B'), { dataSource: other }));
      log.push('in the transaction');
    });
    await other
      .transaction(async () => {
        await onCommit(push('rolled back'), { dataSource: other });
        rollback();
      })
      .catch(() => undefined);
    await drainOnCommit();
    expect(log).toEqual(['in the transaction', 'A', 'B']);
    expect(untrackedWarnings()).toEqual([]);
  });

  it('the implicit form without dataSource still leaves that DataSource alone', async () => {
    await other.transaction(async () => {
      await onCommit(() => void log.push('at once'));
      log.push('in the transaction');
    });
    expect(log).toEqual(['at once', 'in the transaction']);
  });

  it('a transaction it cannot see (a QueryRunner driven by hand): runs at once and says once what to do', async () => {
    const qr = other.createQueryRunner();
    await qr.startTransaction();
    await onCommit(() => void log.push('first'), { dataSource: other });
    await onCommit(() => void log.push('second'), { dataSource: other });
    log.push('still in the transaction');
    await qr.commitTransaction();
    await qr.release();
    expect(log).toEqual(['first', 'second', 'still in the transaction']);
    expect(untrackedWarnings()).toHaveLength(1);
    expect(String(untrackedWarnings()[0]![0])).toContain('installCommitHooks(');
  });
});
