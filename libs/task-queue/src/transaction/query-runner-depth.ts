import type { QueryRunner } from 'typeorm';

/**
 * The runner's transaction depth (1 = outer transaction, 2 = first savepoint, ...), or
 * undefined when the driver does not keep one.
 */
export function transactionDepth(queryRunner: QueryRunner): number | undefined {
  // NOTE: `transactionDepth` is a protected field of BaseQueryRunner (0.3.x and 1.x), not part
  // of the QueryRunner interface. It is read only to reconcile the frame stack when a driver
  // skips an event (SQL Server fires no afterTransactionCommit for a savepoint release).
  const depth = (queryRunner as unknown as { transactionDepth?: unknown }).transactionDepth;
  return typeof depth === 'number' ? depth : undefined;
}
