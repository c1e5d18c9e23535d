import { Logger } from '@nestjs/common';
import type {
  AfterQueryEvent,
  EntitySubscriberInterface,
  QueryRunner,
  TransactionCommitEvent,
  TransactionRollbackEvent,
  TransactionStartEvent,
} from 'typeorm';
import { commitHooksRegistry, type TransactionOutcome } from './commit-hooks.registry.js';
import { commitHooksRunner } from './commit-hooks.runner.js';
import { lockWaitTimeoutRollsBack } from './rollback-on-timeout.js';

/**
 * Drives the `onCommit` registry from TypeORM's transaction events. It sees every transaction
 * of its DataSource, whoever opened it (`dataSource.transaction`, `manager.transaction`, a
 * manual QueryRunner, the implicit transaction of `save()`, `@nestjs-cls/transactional`).
 * It never runs user code inline: committed callbacks go to the runner, which executes them
 * after the connection is released. Install it with `installCommitHooks(dataSource)` or list the
 * class in `DataSourceOptions.subscribers`.
 * @publicApi
 */
export class CommitHooksSubscriber implements EntitySubscriberInterface {
  private readonly logger = new Logger('OnCommit');

  afterTransactionStart(event: TransactionStartEvent): void {
    this.guard(() => commitHooksRegistry.started(event.queryRunner));
  }

  afterQuery(event: AfterQueryEvent): void {
    if (!event.success) {
      const { queryRunner } = event;
      if (rolledBackTheTransaction(event.error, queryRunner) && queryRunner.isTransactionActive)
        this.guard(() => commitHooksRegistry.serverRolledBack(queryRunner));
      return;
    }
    if (event.query !== 'COMMIT') return;
    const raw: unknown = event.rawResults;
    const command =
      typeof raw === 'object' && raw !== null ? (raw as { command?: unknown }).command : undefined;
    this.guard(() => commitHooksRegistry.commitResult(event.queryRunner, command));
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    this.guard(() =>
      this.finish(event.queryRunner, commitHooksRegistry.committed(event.queryRunner)),
    );
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    this.guard(() =>
      this.finish(event.queryRunner, commitHooksRegistry.rolledBack(event.queryRunner)),
    );
  }

  private finish(queryRunner: QueryRunner, outcome: TransactionOutcome): void {
    if (outcome.kind === 'committed')
      return commitHooksRunner.schedule(queryRunner, outcome.entries);
    if (outcome.kind !== 'discarded' || outcome.reason !== 'aborted-commit') return;
    const names = outcome.entries.map((entry) => entry.name).join(', ') || 'none';
    this.logger.error(
      `The database rolled this transaction back before its COMMIT (PostgreSQL: a failed ` +
        `statement whose error was caught without a savepoint; MySQL/MariaDB: a deadlock, a ` +
        `snapshot-isolation conflict or, with innodb_rollback_on_timeout, a lock wait timeout ` +
        `whose error was caught), so its writes were not saved. Discarded onCommit callbacks: ` +
        `${names}. Let such errors propagate (and retry the whole transaction), or, on ` +
        `PostgreSQL, wrap statements that may fail in manager.transaction() (a savepoint).`,
    );
  }

  private guard(step: () => void): void {
    try {
      step();
    } catch (error) {
      // A bug here must never fail the user's transaction.
      this.logger.error(`onCommit bookkeeping failed: ${String(error)}`);
    }
  }
}

/**
 * MySQL/MariaDB errors after which InnoDB has rolled back the whole transaction, not just the
 * statement: ER_LOCK_DEADLOCK (1213; also Galera's certification failure), ER_CHECKREAD
 * (1020: MariaDB's snapshot-isolation conflict, `innodb_snapshot_isolation = ON`, the default
 * from 11.6.2) and, on a server started with `innodb_rollback_on_timeout`, ER_LOCK_WAIT_TIMEOUT
 * (1205). PostgreSQL needs no list: it keeps the transaction aborted and answers its COMMIT
 * with ROLLBACK.
 */
function rolledBackTheTransaction(error: unknown, queryRunner: QueryRunner): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { errno, code } = error as { errno?: unknown; code?: unknown };
  if (errno === 1213 || code === 'ER_LOCK_DEADLOCK' || errno === 1020 || code === 'ER_CHECKREAD')
    return true;
  return (
    (errno === 1205 || code === 'ER_LOCK_WAIT_TIMEOUT') &&
    lockWaitTimeoutRollsBack(queryRunner.connection)
  );
}
