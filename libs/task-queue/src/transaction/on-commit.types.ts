import type { DataSource } from '../contracts/typeorm-peer.types.js';

/** A function to run after the surrounding transaction commits. Takes no arguments (bind them). */
export type OnCommitCallback = () => unknown;

/** Options of one `onCommit()` registration. @publicApi */
export interface OnCommitOptions {
  /**
   * Django's `robust`: when true, an error thrown by this callback is logged and the remaining
   * callbacks of the transaction still run. When false (default), the first error stops the
   * remaining callbacks of that transaction (it is logged, and rethrown by `atomic()`).
   */
  robust?: boolean;
  /** Name used in logs and errors; defaults to the function's name. */
  name?: string;
  /** Overrides the module-wide `strict` setting for this call (see `configureOnCommit`). */
  strict?: boolean;
}

/** Options of the implicit form `onCommit(fn, options)`. @publicApi */
export interface ImplicitOnCommitOptions extends OnCommitOptions {
  /**
   * Only consider a transaction of this DataSource (Django's `using=`). Its `transaction()` /
   * `manager.transaction()` are found even when it is not tracked; other forms only when it is
   * (`installCommitHooks`).
   */
  dataSource?: DataSource;
  /** `@nestjs-cls/transactional` connection name, when several TransactionHosts exist. */
  connectionName?: string;
}

/** One registered callback, as kept by the registry. */
export interface HookEntry {
  readonly fn: OnCommitCallback;
  readonly robust: boolean;
  readonly name: string;
  /** Global registration counter: callbacks run in this order. */
  readonly seq: number;
  /** Set while `captureOnCommitCallbacks` records instead of running: marks a dropped entry. */
  readonly capture?: CaptureRecord;
}

/** One callback recorded by a capture scope; `dropped` once its savepoint/transaction rolls back. */
export interface CaptureRecord {
  readonly entry: Pick<HookEntry, 'fn' | 'robust' | 'name'>;
  dropped: boolean;
}
