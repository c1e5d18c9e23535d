// `celeriac/typeorm`: transaction-bound dispatch, the outbox and the database result backend
// (needs the optional peer typeorm). Deliberately not exported (internal, may change): the
// commit-hooks runner singleton, transaction tracking, the built-in transaction resolvers (extend
// the list `configureOnCommit({})` returns), and the machinery behind `delayOnCommit()`, which
// the module wires itself: `dispatchOnCommit`, `OutboxWriter` and `OutboxRelay` (configure them
// with the `typeorm.dispatch`, `typeorm.outbox` and `typeorm.relay` options).
// `captureOnCommitCallbacks` is in `celeriac/testing`.
export { onCommit, resolveCurrentManager } from './transaction/on-commit.js';
export type {
  OnCommitCallback,
  OnCommitOptions,
  ImplicitOnCommitOptions,
} from './transaction/on-commit.types.js';
export {
  configureOnCommit,
  resetOnCommitConfig,
  type OnCommitConfig,
} from './transaction/on-commit.config.js';
export { atomic, type AtomicOptions } from './transaction/transaction-context.js';
export { Atomic, type AtomicDecoratorOptions } from './transaction/atomic.decorator.js';
export { AtomicManager } from './transaction/atomic-manager.decorator.js';
export { drainOnCommit } from './transaction/commit-hooks.runner.js';
export {
  installCommitHooks,
  uninstallCommitHooks,
  hasCommitHooks,
} from './transaction/commit-hooks.installer.js';
export { CommitHooksSubscriber } from './transaction/commit-hooks.subscriber.js';
export type { TransactionResolver } from './transaction/resolvers/transaction-resolver.interface.js';
export { TaskOutbox } from './transaction/outbox/task-outbox.entity.js';
export { CreateTaskOutbox1767225600000 } from './transaction/outbox/create-task-outbox.migration.js';
export { AddTaskOutboxTraceContext1780272000000 } from './transaction/outbox/add-task-outbox-trace-context.migration.js';
export { AddTaskOutboxSequence1796601600000 } from './transaction/outbox/add-task-outbox-sequence.migration.js';
/** The type of the `typeorm.relay` module option. */
export type { OutboxRelayOptions } from './transaction/outbox/outbox.relay.js';
export {
  TypeOrmResultBackend,
  type TypeOrmResultBackendOptions,
} from './transports/typeorm/typeorm.result-backend.js';
export { TaskResult } from './transports/typeorm/task-result.entity.js';
export { TaskGroupResult } from './transports/typeorm/task-group-result.entity.js';
export { CreateTaskResult1767225600001 } from './transports/typeorm/create-task-result.migration.js';
export {
  TypeOrmScheduleStore,
  type TypeOrmScheduleStoreOptions,
} from './transports/typeorm/typeorm.schedule-store.js';
export {
  BeatScheduleRow,
  BeatPendingRow,
  BeatLeaseRow,
} from './transports/typeorm/beat-schedule.entities.js';
export { TaskQueueDjangoBeatModule } from './beat/django/django-beat.module.js';
export type { DjangoBeatOptions } from './beat/django/django-beat.options.js';
export { CreateBeatTables1780358400000 } from './transports/typeorm/create-beat-tables.migration.js';
/** @deprecated Import it from `celeriac/testing`. */
export const captureOnCommitCallbacks: typeof capture = capture;
/** @deprecated Import it from `celeriac/testing`. */
export type CapturedOnCommit<T> = Captured<T>;
/** @deprecated Import it from `celeriac/testing`. */
export type CapturedOnCommitCallback = CapturedCallback;

import {
  captureOnCommitCallbacks as capture,
  type CapturedOnCommit as Captured,
  type CapturedOnCommitCallback as CapturedCallback,
} from './testing/capture-on-commit.js';

// Give the main entry point's `typeorm` option and `manager` parameters typeorm's own classes
// wherever this entry point is imported (see contracts/typeorm-peer.types.ts).
declare module './contracts/typeorm-peer.types.js' {
  interface TypeOrmPeerTypes {
    dataSource: import('typeorm').DataSource;
    entityManager: import('typeorm').EntityManager;
  }
}
