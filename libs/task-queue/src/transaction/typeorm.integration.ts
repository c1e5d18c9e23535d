import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleInit,
  Optional,
} from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type {
  OnCommitDispatchStrategy,
  PreparedTask,
} from '../producer/on-commit-dispatch.strategy.js';
import { DEDUPE_HEADER } from '../task-queue.constants.js';
import { committedCallbackScope } from './committed-callback.scope.js';
import type { ResolvedTaskQueueOptions } from '../config/resolved-options.js';
import { ConfigurationError } from '../errors/configuration.error.js';
import type { OnCommitApi } from '../errors/no-active-transaction.error.js';
import type { Broker } from '../contracts/broker.interface.js';
import { getBrokerToken, getOutboxWriterToken, getTaskQueueConfigToken } from '../utils/tokens.js';
import type { OutboxWriter } from './outbox/outbox.writer.js';
import { textOf } from '../utils/log-text.js';
import { NO_INSTRUMENTATION, type TaskInstrumentation } from '../tasks/task-instrumentation.js';
import { PUBLISH_INSTRUMENTATION } from '../tasks/sent-reporting.instrumentation.js';

interface Relay {
  start(): void;
  stop(): Promise<void>;
}

type DispatchModules = [
  typeof import('./dispatch-on-commit.js'),
  typeof import('./outbox/outbox-dispatch.js'),
];

/**
 * Lifecycle of the TypeORM integration, when `typeorm` is configured: commit hooks installed on
 * the DataSource at init (its transactions tracked for the implicit `onCommit(fn)`; undone at
 * shutdown, after the pending callbacks drained), the outbox relay started with the worker, and pending after-commit
 * publishes drained at shutdown. It is also the producer's OnCommitDispatchStrategy
 * (after-commit or outbox). TypeORM is imported lazily: apps without it never load it.
 */
@Injectable()
export class TypeOrmIntegration
  implements
    OnModuleInit,
    OnApplicationBootstrap,
    BeforeApplicationShutdown,
    OnCommitDispatchStrategy
{
  private readonly logger = new Logger('TaskQueue');
  private relay?: Relay;
  private dispatchModules?: Promise<DispatchModules>;

  constructor(
    @Inject(getTaskQueueConfigToken()) private readonly config: ResolvedTaskQueueOptions,
    @Inject(getBrokerToken()) private readonly broker: Broker,
    @Inject(getOutboxWriterToken()) private readonly outboxWriter: OutboxWriter | null,
    @Optional()
    @Inject(PUBLISH_INSTRUMENTATION)
    private readonly instrumentation: TaskInstrumentation = NO_INSTRUMENTATION,
  ) {}

  async onModuleInit(): Promise<void> {
    const typeorm = this.config.typeorm;
    if (!typeorm) return;
    // Another module may initialize the DataSource later in init: install now if we can.
    if (typeorm.dataSource.isInitialized) await this.installHooks();
  }

  async onApplicationBootstrap(): Promise<void> {
    const typeorm = this.config.typeorm;
    if (!typeorm) return;
    if (!typeorm.dataSource.isInitialized) {
      throw new ConfigurationError(
        'TaskQueueModule: typeorm.dataSource is not initialized at application bootstrap, so ' +
          'tasks could not be tied to its transactions. Inject the DataSource that ' +
          'TypeOrmModule provides (forRootAsync({ inject: [getDataSourceToken()], ... })), or ' +
          'call dataSource.initialize() before NestFactory.create().',
      );
    }
    await this.installHooks();
    const wanted = typeorm.relay ?? (typeorm.dispatch === 'outbox' && this.config.worker.enabled);
    if (!wanted) return;
    const { OutboxRelay } = await import('./outbox/outbox.relay.js');
    this.relay = new OutboxRelay(typeorm.dataSource, this.broker, {
      ...(typeof wanted === 'object' ? wanted : {}),
      instrumentation: this.instrumentation,
    });
    this.relay.start();
    this.logger.log('Outbox relay started: publishing task_outbox rows the fast path did not.');
  }

  private async installHooks(): Promise<void> {
    const { installCommitHooks } = await import('./commit-hooks.installer.js');
    // `strict` lives with the tracked DataSource and ends with this module, not the process.
    installCommitHooks(this.config.typeorm!.dataSource, { strict: this.config.typeorm!.strict });
  }

  /**
   * Outbox mode: a `delay()` made by an `onCommit` callback after its commit is written to the
   * outbox (autocommit) and published by the fast path, so a broker outage does not lose it.
   */
  routeSend(prepared: PreparedTask): Promise<void> | undefined {
    if (!committedCallbackScope.getStore()) return undefined;
    const typeorm = this.config.typeorm;
    if (typeorm?.dispatch !== 'outbox') return undefined;
    refuseExchange(prepared);
    // The relay may publish the row again: let workers dedupe.
    prepared.message.headers[DEDUPE_HEADER] = true;
    return this.writeOutbox(prepared, typeorm.dataSource.manager).catch((error: unknown) =>
      this.publishInstead(prepared, error),
    );
  }

  /**
   * A row written after a COMMIT (a callback's send, or a `delayOnCommit()` that followed
   * another DataSource's transaction) could not be written, the database having gone away
   * meanwhile: the transaction is committed and no row holds the task, so publish it to the broker
   * now rather than lose it. A row the failed write did commit after all is sent again by a
   * relay; the dedupe header lets workers skip that copy.
   */
  private async publishInstead(prepared: PreparedTask, error: unknown): Promise<void> {
    const { message, publish } = prepared;
    const name = `${message.headers.task}[${message.headers.id}]`;
    const cause = textOf(error instanceof Error ? error.message : error, 500);
    this.logger.warn(
      `${name} could not be written to task_outbox after its transaction committed ` +
        `(${cause}); publishing it to the broker directly instead, so it is not lost. ` +
        `Check that the database is reachable.`,
    );
    await this.instrumentation.wrapPublish(
      {
        message,
        options: publish,
        via: 'send',
        context: prepared.deferred?.context,
        decidedAt: prepared.deferred?.decidedAt,
      },
      () => this.broker.publish(message, publish),
    );
  }

  private async writeOutbox(
    prepared: PreparedTask,
    manager: EntityManager | undefined,
    api?: OnCommitApi,
    committed?: () => void,
  ): Promise<void> {
    // The caller's trace context, stored in the row for the fast path and the relay.
    prepared.deferred = {
      via: 'outbox',
      context: this.instrumentation.captureContext(),
      decidedAt: Date.now(),
    };
    const [, { writeToOutbox }] = await this.loadDispatch();
    await writeToOutbox(
      this.outboxWriter!,
      this.config.typeorm!,
      prepared,
      manager,
      api,
      committed,
    );
  }

  private loadDispatch(): Promise<DispatchModules> {
    return (this.dispatchModules ??= Promise.all([
      import('./dispatch-on-commit.js'),
      import('./outbox/outbox-dispatch.js'),
    ]));
  }

  /** `delayOnCommit()` / `applyAsyncOnCommit()`: after-commit publish, or outbox row. */
  async dispatch(
    prepared: PreparedTask,
    publish: () => Promise<void>,
    manager: EntityManager | undefined,
    api?: OnCommitApi,
    committed?: () => void,
  ): Promise<void> {
    const [{ dispatchOnCommit }, { otherTransactionOnly, afterCommitOf }] =
      await this.loadDispatch();
    const typeorm = this.config.typeorm;
    // Only a transaction of another tracked DataSource is open: wait for its commit, as
    // `onCommit(() => task.delay())` written here does (its database may lack task_outbox, so
    // the outbox row is written, in this DataSource, once it committed).
    const other = manager ? undefined : otherTransactionOnly(typeorm?.dataSource);
    const headers = prepared.message.headers;
    if (typeorm?.dispatch === 'outbox') refuseExchange(prepared);
    if (other && typeorm?.dispatch === 'outbox') {
      // Written after that COMMIT: a database gone by then would lose it, so publish instead.
      const write = (): Promise<void> =>
        this.writeOutbox(prepared, undefined, api, committed).catch(async (error: unknown) => {
          await this.publishInstead(prepared, error);
          committed?.();
        });
      return afterCommitOf(other, write, `${headers.task}[${headers.id}] outbox write`);
    }
    if (typeorm?.dispatch === 'outbox') return this.writeOutbox(prepared, manager, api, committed);
    const send = committed
      ? async () => {
          await publish();
          committed();
        }
      : publish;
    return dispatchOnCommit(send, {
      name: `${headers.task}[${headers.id}]`,
      api,
      manager: manager ?? other,
      dataSource: typeorm?.dataSource,
      strict: typeorm?.strict,
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (!this.config.typeorm) return;
    await this.relay?.stop();
    // Only this app's callbacks: another app in the process keeps its own until it closes.
    const { drainOnCommit } = await import('./commit-hooks.runner.js');
    await drainOnCommit(this.config.typeorm.dataSource);
    const { uninstallCommitHooks } = await import('./commit-hooks.installer.js');
    uninstallCommitHooks(this.config.typeorm.dataSource);
  }
}

/** An outbox row names a queue only: a send to an exchange would lose its routing there. */
function refuseExchange({ message, publish }: PreparedTask): void {
  if (publish.exchange === undefined) return;
  throw new ConfigurationError(
    `${message.headers.task}: exchange / routingKey cannot go through the transactional ` +
      'outbox (its rows name a queue only); send it outside the transaction, or by queue.',
  );
}
