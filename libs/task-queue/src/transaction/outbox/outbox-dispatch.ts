import { Logger } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import type { PreparedTask } from '../../producer/on-commit-dispatch.strategy.js';
import {
  NoActiveTransactionError,
  type OnCommitApi,
} from '../../errors/no-active-transaction.error.js';
import type { TypeOrmIntegrationOptions } from '../../config/task-queue-options.interface.js';
import { inCommittedCallback } from '../committed-callback.scope.js';
import { captureStorage } from '../on-commit-capture.js';
import { onCommit, resolveCurrentManager } from '../on-commit.js';
import type { OutboxWriter } from './outbox.writer.js';
import { TransactionRolledBackError } from '../../errors/transaction-rolled-back.error.js';

const logger = new Logger('OnCommit');

/**
 * Outbox mode of `delayOnCommit`: write the message to `task_outbox` with the transaction's
 * manager (explicit, or the current one), and publish it after commit (fast path). Outside a
 * transaction the row is written with the DataSource's manager and published at once, unless
 * `strict` is set.
 */
export async function writeToOutbox(
  writer: OutboxWriter,
  options: TypeOrmIntegrationOptions,
  prepared: PreparedTask,
  manager?: EntityManager,
  api: OnCommitApi = 'delayOnCommit',
  /** Called once the row is committed (at once without a transaction). */
  committed?: () => void,
): Promise<void> {
  const given = manager ?? resolveCurrentManager({ dataSource: options.dataSource });
  const name = `${prepared.message.headers.task}[${prepared.message.headers.id}]`;
  const runner = given?.queryRunner;
  // Released while its transaction is active: the connection died before COMMIT (see onCommit).
  if (runner?.isReleased && runner.isTransactionActive)
    throw new TransactionRolledBackError(name, 'connection-lost');
  // The manager of a transaction that is over (in an onCommit callback, or a promise not awaited
  // inside the transaction): its released runner cannot write; the row is written at once, as
  // onCommit() runs such a callback.
  const released = runner?.isReleased === true;
  const late = released && !inCommittedCallback();
  const target = released ? undefined : given;
  if (!target && options.strict && !inCommittedCallback()) {
    throw new NoActiveTransactionError(name, late ? 'finished' : 'none', api);
  }
  if (late) {
    logger.warn(
      `LATE_ON_COMMIT: ${api}(${name}) was given the manager of a transaction that had ` +
        `finished (a promise not awaited inside the transaction?). Writing it to the outbox now.`,
    );
  }
  if (captureStorage.getStore() && !inCommittedCallback()) {
    // captureOnCommitCallbacks(): the task is the recorded callback, as in after-commit mode,
    // so a captured (not executed) task leaves no row for a relay to send.
    const write = (): Promise<void> =>
      writeToOutbox(writer, options, prepared, undefined, api, committed);
    const callbackOptions = { name, robust: true, strict: false };
    return target ? onCommit(target, write, callbackOptions) : onCommit(write, callbackOptions);
  }
  await writer.write(
    target ?? options.dataSource.manager,
    prepared.message,
    prepared.publish,
    prepared.deferred?.context,
    prepared.relative,
  );
  if (!committed) return;
  if (!target) return committed();
  const headers = prepared.message.headers;
  await onCommit(target, committed, {
    robust: true,
    name: `${headers.task}[${headers.id}] committed`,
    strict: false,
  });
}

/**
 * The transaction an implicit `delayOnCommit()` follows when `dataSource` (the module's) has
 * none in the current context but another DataSource's tracked transaction is open; undefined
 * otherwise (the module's transaction, or none at all).
 */
export function otherTransactionOnly(dataSource?: DataSource): EntityManager | undefined {
  if (!dataSource || resolveCurrentManager({ dataSource })) return undefined;
  const current = resolveCurrentManager();
  return current && current.connection !== dataSource ? current : undefined;
}

/** Run `fn` once `manager`'s transaction committed (a failure is logged, never rethrown). */
export function afterCommitOf(
  manager: EntityManager,
  fn: () => Promise<void>,
  name: string,
): Promise<void> {
  return onCommit(manager, fn, { robust: true, name, strict: false });
}
