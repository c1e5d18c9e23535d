import { DataSource, EntityManager } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { createApp } from '../__fixtures__/create-app.js';
import { openSqljsOutbox } from '../__fixtures__/outbox-sqljs.fixture.js';
import { TaskDispatcher } from '../producer/task.dispatcher.js';
import { TaskClient } from '../producer/task.client.js';
import { OrderTasks } from '../__fixtures__/orders.fixture.js';
import { ConfigurationError } from '../errors/configuration.error.js';
import { NoActiveTransactionError } from '../errors/no-active-transaction.error.js';
import type { TypeOrmIntegrationOptions } from '../config/task-queue-options.interface.js';
import { hasCommitHooks } from './commit-hooks.installer.js';
import { drainOnCommit } from './commit-hooks.runner.js';
import { TaskOutbox } from './outbox/task-outbox.entity.js';
import { OutboxWriter } from './outbox/outbox.writer.js';
import { getOutboxWriterToken } from '../utils/tokens.js';
import { isTracked } from './transaction-tracking.js';
import { onCommit } from './on-commit.js';

describe('TaskQueueModule typeorm option', () => {
  it('installs commit hooks on an initialized DataSource at boot', async () => {
    const dataSource = await new DataSource({ type: 'sqljs', entities: [] }).initialize();
    const app = await createApp({ typeorm: { dataSource } }, []);
    expect(hasCommitHooks(dataSource)).toBe(true);
    expect(isTracked(dataSource)).toBe(true);
    const transaction = EntityManager.prototype.transaction;
    await app.close();
    // Shutdown restores what the module changed.
    expect(hasCommitHooks(dataSource)).toBe(false);
    expect(isTracked(dataSource)).toBe(false);
    expect(EntityManager.prototype.transaction).not.toBe(transaction);
    await dataSource.destroy();
  });

  it('typeorm.outbox.graceMs sets how long the relay leaves a fresh row alone', async () => {
    const dataSource = await openSqljsOutbox();
    const app = await createApp(
      { typeorm: { dataSource, dispatch: 'outbox', outbox: { graceMs: 60_000 }, relay: false } },
      [],
    );
    const dispatcher = app.get(TaskDispatcher);
    let row: TaskOutbox | null = null;
    await dataSource.transaction(async (m) => {
      const result = await dispatcher.sendOnCommit('demo.add', [1, 2], {});
      row = await m.getRepository(TaskOutbox).findOneBy({ id: result.id });
    });
    expect(row!.relayAfter.getTime() - row!.createdAt.getTime()).toBe(60_000);
    await drainOnCommit();
    await app.close();
    await dataSource.destroy();
  });

  it('refuses a send to an exchange through the outbox, whose rows name a queue only', async () => {
    const dataSource = await openSqljsOutbox();
    const app = await createApp({ typeorm: { dataSource, dispatch: 'outbox', relay: false } }, []);
    const dispatcher = app.get(TaskDispatcher);
    const routed = { exchange: 'reports', routingKey: 'daily' };
    await dataSource.transaction(async (m) => {
      await expect(dispatcher.sendOnCommit('demo.add', [1, 2], routed)).rejects.toThrow(
        /exchange \/ routingKey cannot go through the transactional outbox/,
      );
      expect(await m.getRepository(TaskOutbox).count()).toBe(0);
    });
    await drainOnCommit();
    await app.close();
    await dataSource.destroy();
  });

  it('the outbox writer is a provider of each app, made only in outbox mode', async () => {
    const dataSource = await new DataSource({ type: 'sqljs', entities: [] }).initialize();
    const outbox = { typeorm: { dataSource, dispatch: 'outbox' as const, relay: false } };
    const [a, b, afterCommit] = await Promise.all([
      createApp(outbox, []),
      createApp(outbox, []),
      createApp({ typeorm: { dataSource } }, []),
    ]);
    const writerOf = (app: typeof a) => app.get<OutboxWriter | null>(getOutboxWriterToken());
    expect(writerOf(a)).toBeInstanceOf(OutboxWriter);
    expect(writerOf(b)).toBeInstanceOf(OutboxWriter);
    expect(writerOf(a)).not.toBe(writerOf(b));
    expect(writerOf(afterCommit)).toBeNull();
    for (const app of [a, b, afterCommit]) await app.close();
    await dataSource.destroy();
  });

  it('strict: delayOnCommit outside a transaction rejects (no synchronous throw), sends nothing', async () => {
    const dataSource = await new DataSource({ type: 'sqljs', entities: [] }).initialize();
    const broker = `memory://strict-${Date.now()}`;
    const app = await createApp(
      { broker, typeorm: { dataSource, strict: true }, worker: { enabled: false } },
      [],
    );
    const dispatcher = app.get(TaskDispatcher);
    let sending: Promise<unknown> | undefined;
    expect(() => (sending = dispatcher.sendOnCommit('demo.add', [1, 2], {}))).not.toThrow();
    await expect(sending).rejects.toBeInstanceOf(NoActiveTransactionError);
    await dataSource.transaction(() => dispatcher.sendOnCommit('demo.add', [1, 2], {}));
    await drainOnCommit();
    await app.close();
    await dataSource.destroy();
  });

  it.each(['after-commit', 'outbox'] as const)(
    'strict (%s): the error names the API called (delayOnCommit, applyAsyncOnCommit), not onCommit',
    async (dispatch) => {
      const dataSource = await openSqljsOutbox();
      const app = await createApp({
        broker: `memory://strict-api-${Date.now()}`,
        typeorm: { dataSource, strict: true, dispatch, relay: false },
        worker: { enabled: false },
      });
      const client = app.get(TaskClient);
      const process = client.get(OrderTasks, 'process');
      const rejection = (sending: Promise<unknown>): Promise<NoActiveTransactionError> =>
        sending.then(
          () => Promise.reject(new Error('sent without a transaction')),
          (error: NoActiveTransactionError) => error,
        );
      const delayed = await rejection(process.delayOnCommit(1));
      expect(delayed).toBeInstanceOf(NoActiveTransactionError);
      expect(delayed.api).toBe('delayOnCommit');
      expect(delayed.message).toMatch(
        /^delayOnCommit\(\) of orders\.process\[[\w-]+\] found no active transaction/,
      );
      expect(delayed.message).toMatch(/nothing was sent/);
      expect(delayed.message).toMatch(/atomic\(\)/);
      expect(delayed.message).toMatch(/strict: false/);
      expect(delayed.message).not.toMatch(/onCommit\(/);
      const applied = await rejection(process.applyAsyncOnCommit([2]));
      expect(applied.message).toMatch(/^applyAsyncOnCommit\(\) of orders\.process\[/);
      const canvas = await rejection(client.signature('orders.process', [3]).applyAsyncOnCommit());
      expect(canvas.message).toMatch(/^applyAsyncOnCommit\(\) of orders\.process\[/);
      await app.close();
      await dataSource.destroy();
    },
  );

  it('strict belongs to the module: it ends when the app closes, not process-wide', async () => {
    const dataSource = await new DataSource({ type: 'sqljs', entities: [] }).initialize();
    const app = await createApp(
      {
        broker: `memory://strict-scope-${Date.now()}`,
        typeorm: { dataSource, strict: true },
        worker: { enabled: false },
      },
      [],
    );
    await expect(onCommit(() => undefined)).rejects.toBeInstanceOf(NoActiveTransactionError);
    await app.close();
    let ran = false;
    await onCommit(() => {
      ran = true;
    });
    expect(ran).toBe(true);
    await dataSource.destroy();
  });

  it.each<[string, Partial<TypeOrmIntegrationOptions>]>([
    ['typeorm.outbox.graceMs', { outbox: { graceMs: -1 } }],
    ['typeorm.outbox.leaseMs', { outbox: { leaseMs: 1.5 } }],
    ['typeorm.relay.pollIntervalMs', { relay: { pollIntervalMs: 0 } }],
    ['typeorm.results.cleanupIntervalMs', { results: { cleanupIntervalMs: -5 } }],
    ['typeorm.results.pollIntervalMs', { results: { pollIntervalMs: Number.NaN } }],
  ])('rejects an invalid %s', async (option, extra) => {
    const dataSource = new DataSource({ type: 'sqljs', entities: [] });
    await expect(createApp({ typeorm: { dataSource, ...extra } }, [])).rejects.toThrow(
      new RegExp(`"${option.replace(/\./g, '\\.')}" must be an integer number of milliseconds`),
    );
  });

  it('fails boot with a clear error when the DataSource is not initialized', async () => {
    const dataSource = new DataSource({ type: 'sqljs', entities: [] });
    const boot = createApp({ typeorm: { dataSource } }, []);
    await expect(boot).rejects.toBeInstanceOf(ConfigurationError);
    await expect(createApp({ typeorm: { dataSource } }, [])).rejects.toThrow(
      /typeorm\.dataSource is not initialized at application bootstrap/,
    );
  });

  it('rejects a typeorm option without a DataSource, naming the option', async () => {
    await expect(createApp({ typeorm: { dataSource: {} as DataSource } }, [])).rejects.toThrow(
      /"typeorm\.dataSource" must be a TypeORM DataSource/,
    );
  });
});
