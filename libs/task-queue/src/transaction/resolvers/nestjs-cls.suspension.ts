import type { DataSource } from 'typeorm';
import { isEntityManagerLike, loadTransactional } from './nestjs-cls.loader.js';

type WithoutTransaction = <R>(this: object, fn: () => Promise<R>) => Promise<R>;

/**
 * `@nestjs-cls/transactional` runs `NotSupported`, `Never` and `Supports`-without-transaction code
 * through `TransactionHost.withoutTransaction()`, which clears only its own context. Wrap it so
 * the tracked TypeORM transaction of the host's DataSource is hidden there too (the implicit
 * `onCommit` then runs at once, as the host's queries are not in that transaction). Returns the
 * function that restores the original, or undefined when the package is not installed.
 */
export function honorClsSuspensions(
  runSuspended: <T>(dataSource: DataSource, fn: () => T) => T,
): (() => void) | undefined {
  const prototype = loadTransactional()?.TransactionHost.prototype as
    { withoutTransaction?: WithoutTransaction } | undefined;
  const original = prototype?.withoutTransaction;
  if (!prototype || !original) return undefined;
  prototype.withoutTransaction = function <R>(this: { tx?: unknown }, fn: () => Promise<R>) {
    let tx: unknown;
    try {
      tx = this.tx;
    } catch {
      tx = undefined;
    }
    if (!isEntityManagerLike(tx)) return original.call(this, fn) as Promise<R>;
    const dataSource = tx.connection;
    return original.call(this, () => runSuspended(dataSource, fn)) as Promise<R>;
  };
  return () => {
    prototype.withoutTransaction = original;
  };
}
