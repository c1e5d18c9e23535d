import type { QueryRunner } from 'typeorm';
import type { HookEntry } from './on-commit.types.js';
import { transactionDepth } from './query-runner-depth.js';

interface HookState {
  /** One frame per open transaction level: [outer, savepoint 1, savepoint 2, ...]. */
  frames: HookEntry[][];
  /**
   * The server already rolled the whole transaction back: PostgreSQL answered COMMIT with
   * ROLLBACK, or a MySQL/MariaDB statement failed with a deadlock or a snapshot-isolation
   * conflict.
   */
  commitWasRollback: boolean;
}

/** What happened to the callbacks of a transaction when it ended. */
export type TransactionOutcome =
  | { kind: 'savepoint' }
  | { kind: 'committed'; entries: HookEntry[] }
  | { kind: 'discarded'; entries: HookEntry[]; reason: 'rollback' | 'aborted-commit' };

/**
 * Per-QueryRunner stacks of pending `onCommit` callbacks. Keyed by the runner in a WeakMap
 * (never `queryRunner.data`, which TypeORM swaps during `save(..., { data })`). All methods are
 * synchronous and never throw into TypeORM.
 */
export class CommitHooksRegistry {
  private readonly states = new WeakMap<QueryRunner, HookState>();
  private seq = 0;

  /** A transaction or savepoint started on `queryRunner`. */
  started(queryRunner: QueryRunner): void {
    const state = this.ensure(queryRunner);
    state.frames.push([]);
    normalize(state, transactionDepth(queryRunner), 'merge');
  }

  /** Add a callback to the innermost open level of `queryRunner`'s transaction. */
  register(queryRunner: QueryRunner, entry: Omit<HookEntry, 'seq'>): HookEntry {
    const state = this.ensure(queryRunner);
    if (state.frames.length === 0) state.frames.push([]);
    normalize(state, transactionDepth(queryRunner), 'merge');
    const full: HookEntry = { ...entry, seq: ++this.seq };
    state.frames[state.frames.length - 1]!.push(full);
    return full;
  }

  /** `afterQuery` saw the result of `COMMIT`: remember when PostgreSQL turned it into ROLLBACK. */
  commitResult(queryRunner: QueryRunner, command: unknown): void {
    const state = this.states.get(queryRunner);
    if (state && command === 'ROLLBACK') state.commitWasRollback = true;
  }

  /**
   * A statement failed with an error after which MySQL/MariaDB has rolled back the whole
   * transaction (a deadlock, a snapshot-isolation conflict): the statements that follow run in autocommit and the final
   * COMMIT succeeds, but the transaction's own writes are gone.
   */
  serverRolledBack(queryRunner: QueryRunner): void {
    const state = this.ensure(queryRunner);
    if (state.frames.length === 0) state.frames.push([]);
    state.commitWasRollback = true;
  }

  /** True when the server already rolled `queryRunner`'s open transaction back. */
  isRolledBack(queryRunner: QueryRunner): boolean {
    return this.states.get(queryRunner)?.commitWasRollback === true;
  }

  /** `afterTransactionCommit`: a savepoint release or the outermost commit. */
  committed(queryRunner: QueryRunner): TransactionOutcome {
    const state = this.states.get(queryRunner);
    if (queryRunner.isTransactionActive) {
      if (state)
        normalize(state, transactionDepth(queryRunner) ?? state.frames.length - 1, 'merge');
      return { kind: 'savepoint' };
    }
    this.states.delete(queryRunner);
    const entries = state ? flatten(state) : [];
    if (state?.commitWasRollback) {
      markDropped(entries);
      return { kind: 'discarded', entries, reason: 'aborted-commit' };
    }
    return { kind: 'committed', entries };
  }

  /** `afterTransactionRollback`: a savepoint rollback or the outermost rollback. */
  rolledBack(queryRunner: QueryRunner): TransactionOutcome {
    const state = this.states.get(queryRunner);
    if (queryRunner.isTransactionActive) {
      if (state) {
        const depth = transactionDepth(queryRunner);
        // Levels above depth + 1 were released without an event: merge them first.
        if (depth !== undefined) normalize(state, depth + 1, 'merge');
        markDropped(state.frames.pop() ?? []);
        if (state.frames.length === 0) state.frames.push([]);
      }
      return { kind: 'savepoint' };
    }
    this.states.delete(queryRunner);
    const entries = state ? flatten(state) : [];
    markDropped(entries);
    return { kind: 'discarded', entries, reason: 'rollback' };
  }

  /** True while callbacks (or an empty frame stack) are tracked for `queryRunner`. */
  has(queryRunner: QueryRunner): boolean {
    return this.states.has(queryRunner);
  }

  /** Number of callbacks waiting for `queryRunner`'s outermost commit. */
  pendingCount(queryRunner: QueryRunner): number {
    return this.states.get(queryRunner)?.frames.reduce((n, f) => n + f.length, 0) ?? 0;
  }

  private ensure(queryRunner: QueryRunner): HookState {
    let state = this.states.get(queryRunner);
    if (!state) this.states.set(queryRunner, (state = { frames: [], commitWasRollback: false }));
    return state;
  }
}

/** Bring the frame count to `depth`: pad at the bottom, or merge / drop extra top frames. */
function normalize(state: HookState, depth: number | undefined, mode: 'merge' | 'drop'): void {
  if (depth === undefined || depth < 1) return;
  while (state.frames.length < depth) state.frames.unshift([]);
  while (state.frames.length > depth) {
    const top = state.frames.pop()!;
    if (mode === 'merge') state.frames[state.frames.length - 1]!.push(...top);
  }
}

/** Tell capture scopes that these callbacks will never run. */
function markDropped(entries: readonly HookEntry[]): void {
  for (const entry of entries) if (entry.capture) entry.capture.dropped = true;
}

function flatten(state: HookState): HookEntry[] {
  return state.frames.flat().sort((a, b) => a.seq - b.seq);
}

/** The process-wide registry used by `onCommit` and the subscriber. */
export const commitHooksRegistry = new CommitHooksRegistry();
