import { Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { commitHooksRunner } from './commit-hooks.runner.js';
import { inCommittedCallback } from './committed-callback.scope.js';
import {
  NoActiveTransactionError,
  type OnCommitApi,
} from '../errors/no-active-transaction.error.js';
import { getOnCommitConfig } from './on-commit.config.js';
import { trackedStrictness } from './transaction-tracking.js';
import { onCommit, resolveCurrentManager } from './on-commit.js';
import type { ImplicitOnCommitOptions } from './on-commit.types.js';
import { publishWithRetry, type PublishRetryOptions } from './publish-retry.js';

const logger = new Logger('OnCommit');

/** Options of `dispatchOnCommit`. */
export interface DispatchOnCommitOptions extends Pick<
  ImplicitOnCommitOptions,
  'dataSource' | 'connectionName' | 'strict'
> {
  /** Transaction to wait for; default: the current one (implicit resolution). */
  manager?: EntityManager;
  /** For logs: typically `<task name>[<task id>]`. */
  name: string;
  /** The call that asked, named by NoActiveTransactionError (default `delayOnCommit`). */
  api?: OnCommitApi;
  retry?: PublishRetryOptions;
}

/**
 * The producer's seam for `delayOnCommit()` in after-commit mode: runs `publish` after the
 * transaction commits (now, when there is none), retrying with exponential backoff when it
 * fails. Resolves once registered (at once); rejects only with `NoActiveTransactionError` in
 * strict mode when no transaction is active.
 * Best effort: the task is lost if the process dies between COMMIT and a successful publish or
 * the broker stays down past the retry budget (use the outbox mode for those cases).
 * Internal: the module runs it (see the `typeorm` options).
 */
export function dispatchOnCommit(
  publish: () => Promise<void>,
  options: DispatchOnCommitOptions,
): Promise<void> {
  const { name, retry = {} } = options;
  const callback = async (): Promise<void> => {
    try {
      await publishWithRetry(publish, retry, (attempt, error, delay) =>
        logger.warn(
          `Publishing ${name} failed (attempt ${attempt}): ${String(error)}. Retrying in ${delay} ms.`,
        ),
      );
    } catch (error) {
      logger.error(
        `${name} was committed but could not be published after ${retry.attempts ?? 5} attempts: ` +
          `${String(error)}. The task is lost. Check the broker, or use dispatch: 'outbox' to ` +
          `make publication survive broker outages and crashes.`,
      );
    }
  };
  const query = { dataSource: options.dataSource, connectionName: options.connectionName };
  const manager = options.manager ?? resolveCurrentManager(query);
  const source = manager?.connection ?? options.dataSource;
  const strict =
    !inCommittedCallback() &&
    (options.strict ?? trackedStrictness(source) ?? getOnCommitConfig().strict);
  const queryRunner = manager?.queryRunner;
  if (strict && !queryRunner?.isTransactionActive) {
    const reason = queryRunner?.isReleased ? 'finished' : 'none';
    return Promise.reject(
      new NoActiveTransactionError(name, reason, options.api ?? 'delayOnCommit'),
    );
  }
  const registration = manager
    ? onCommit(manager, callback, { robust: true, name, strict: false })
    : onCommit(callback, { robust: true, name, strict: false, ...query });
  commitHooksRunner.track(registration, source);
  return Promise.resolve();
}
