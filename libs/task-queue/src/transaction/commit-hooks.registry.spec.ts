import { describe, expect, it } from 'vitest';
import type { QueryRunner } from 'typeorm';
import { CommitHooksRegistry, type TransactionOutcome } from './commit-hooks.registry.js';

/** A runner that behaves like SQL Server: a savepoint release changes the depth but fires no event. */
function fakeRunner(): QueryRunner & { transactionDepth: number } {
  return { isTransactionActive: true, transactionDepth: 0 } as unknown as QueryRunner & {
    transactionDepth: number;
  };
}
const entry = (name: string) => ({ fn: () => undefined, robust: false, name });
const names = (outcome: TransactionOutcome): string[] =>
  'entries' in outcome ? outcome.entries.map((e) => e.name) : [];

describe('CommitHooksRegistry depth reconciliation', () => {
  it('a silent savepoint release still hands callbacks to the parent', () => {
    const registry = new CommitHooksRegistry();
    const qr = fakeRunner();
    qr.transactionDepth = 1;
    registry.started(qr);
    registry.register(qr, entry('A'));
    qr.transactionDepth = 2;
    registry.started(qr);
    registry.register(qr, entry('B'));
    qr.transactionDepth = 1; // RELEASE SAVEPOINT without afterTransactionCommit
    registry.register(qr, entry('C'));
    qr.transactionDepth = 2;
    registry.started(qr);
    registry.register(qr, entry('D'));
    qr.transactionDepth = 1;
    expect(registry.rolledBack(qr).kind).toBe('savepoint'); // drops D only
    qr.transactionDepth = 0;
    (qr as { isTransactionActive: boolean }).isTransactionActive = false;
    expect(names(registry.committed(qr))).toEqual(['A', 'B', 'C']);
    expect(registry.has(qr)).toBe(false);
  });

  it('a rollback after silent releases drops everything', () => {
    const registry = new CommitHooksRegistry();
    const qr = fakeRunner();
    qr.transactionDepth = 1;
    registry.started(qr);
    qr.transactionDepth = 2;
    registry.started(qr);
    registry.register(qr, entry('B'));
    qr.transactionDepth = 0;
    (qr as { isTransactionActive: boolean }).isTransactionActive = false;
    expect(registry.rolledBack(qr)).toMatchObject({ kind: 'discarded', reason: 'rollback' });
  });

  it('a COMMIT answered with ROLLBACK discards the callbacks', () => {
    const registry = new CommitHooksRegistry();
    const qr = fakeRunner();
    qr.transactionDepth = 1;
    registry.started(qr);
    registry.register(qr, entry('A'));
    registry.commitResult(qr, 'ROLLBACK');
    qr.transactionDepth = 0;
    (qr as { isTransactionActive: boolean }).isTransactionActive = false;
    expect(registry.committed(qr)).toMatchObject({ kind: 'discarded', reason: 'aborted-commit' });
  });
});
