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
