import type { QueryRunner } from 'typeorm';
import { AtomicBlockFailedError } from '../errors/atomic-block-failed.error.js';
import { transactionDepth } from './query-runner-depth.js';

/** Transaction levels a failed `atomic({ savepoint: false })` block joined: runner → depth, error. */
const marks = new WeakMap<QueryRunner, { depth: number; cause: unknown }>();

/**
 * Django's `needs_rollback`: a block that joined `queryRunner`'s current level without a
 * savepoint failed, so that level must not commit. Its commit throws `AtomicBlockFailedError`
 * (the caller, e.g. `EntityManager.transaction`, then rolls it back). No-op without a depth.
 */
export function markRollbackOnly(queryRunner: QueryRunner, cause: unknown): void {
  const depth = transactionDepth(queryRunner);
  if (depth === undefined || depth < 1) return;
  const mark = marks.get(queryRunner);
  // An outer level marked already: rolling it back undoes this one too.
  if (mark && mark.depth <= depth) return;
  marks.set(queryRunner, { depth, cause });
}

/** Before `commitTransaction()`: throws when the level being committed is marked. */
export function checkCommit(queryRunner: QueryRunner): void {
  const mark = marks.get(queryRunner);
  if (!mark) return;
  const depth = transactionDepth(queryRunner);
  if (depth === undefined || depth > mark.depth) return;
  marks.delete(queryRunner);
  if (depth === mark.depth) throw new AtomicBlockFailedError(mark.cause);
}

/** Before `rollbackTransaction()`: the marked level (or one around it) is rolled back anyway. */
export function clearOnRollback(queryRunner: QueryRunner): void {
  const mark = marks.get(queryRunner);
  const depth = transactionDepth(queryRunner);
  if (mark && depth !== undefined && depth <= mark.depth) marks.delete(queryRunner);
}
