import type { EntityManager } from '../contracts/typeorm-peer.types.js';
import type { TaskMessage } from '../contracts/task-message.interface.js';
import type { PublishOptions } from '../contracts/broker.interface.js';
import type { OnCommitApi } from '../errors/no-active-transaction.error.js';
import type { PublishReason, TraceCarrier } from '../tasks/task-instrumentation.js';
import type { RelativeTimes } from './relative-times.js';

/** A message ready to publish, and where it goes. */
export interface PreparedTask {
  message: TaskMessage;
  publish: PublishOptions;
  /** Set when the publish happens later than it was decided (`delayOnCommit()`). */
  deferred?: { via: PublishReason; context?: TraceCarrier; decidedAt: number };
  /** `countdown` / `expires` given in seconds: an on-commit send counts them from the COMMIT. */
  relative?: RelativeTimes;
}

/**
 * How `delayOnCommit()` / `applyAsyncOnCommit()` tie a prepared task to the current
 * transaction. The TypeORM integration contributes it (after-commit or outbox); the producer
 * core only calls it. The returned promise settles once the task is registered with the
 * transaction (or published, without one); it rejects in strict mode without a transaction.
 */
export interface OnCommitDispatchStrategy {
  dispatch(
    prepared: PreparedTask,
    publish: () => Promise<void>,
    manager: EntityManager | undefined,
    /** The call that asked (named by NoActiveTransactionError in strict mode). */
    api?: OnCommitApi,
    /**
     * Called once the task is committed: after the transaction commits (outbox), or once
     * `publish` succeeded after it (after-commit); at once without a transaction.
     */
    committed?: () => void,
  ): Promise<void>;
  /**
   * Outbox mode only (the dispatcher asks nothing otherwise): a plain send made by an
   * `onCommit` callback after its commit; returns the promise of writing it through the outbox
   * when the strategy takes it over, else undefined (publish directly).
   */
  routeSend?(prepared: PreparedTask): Promise<void> | undefined;
}

/** Injection token of the OnCommitDispatchStrategy. */
export const ON_COMMIT_DISPATCH = Symbol('celeriac:on-commit-dispatch');
