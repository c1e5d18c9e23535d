import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { describe, expect, it, vi } from 'vitest';
import { drainOnCommit, onCommit, TaskOutbox } from 'celeriac/typeorm';
import { writeToOutbox } from '../../libs/task-queue/src/transaction/outbox/outbox-dispatch.js';
import { OutboxWriter } from '../../libs/task-queue/src/transaction/outbox/outbox.writer.js';
import { asBroker, message, RecordingBroker } from '../support/outbox-fixtures.js';
import { ItemSchema, useCommitHooksDatabase } from '../support/typeorm-drivers.js';

// The connection of an open transaction dies (a failover, idle_in_transaction_session_timeout,
// pg_terminate_backend): TypeORM's PostgreSQL runner hears the client's error and marks itself
// released, with its transaction still marked active. It never commits. An onCommit() or
// delayOnCommit() made after that, before the next statement fails, used to be taken for a
// call made after the COMMIT: run (sent) at once, for data that was rolled back.
describe('PostgreSQL: the connection of an open transaction is lost', () => {
  const db = useCommitHooksDatabase('postgres', [TaskOutbox]);

  /** Run `after` inside a transaction whose connection was killed; resolves its outcome. */
  async function killedThen(after: (m: EntityManager) => Promise<unknown>): Promise<string> {
    return db.dataSource
      .transaction(async (m) => {
        await m.insert(ItemSchema, { id: randomUUID() });
        const [{ pid }] = (await m.query('SELECT pg_backend_pid() AS pid')) as Array<{
          pid: number;
        }>;
        await db.dataSource.query('SELECT pg_terminate_backend($1)', [pid]);
        await vi.waitFor(() => expect(m.queryRunner!.isReleased).toBe(true), { timeout: 10_000 });
        await after(m);
      })
      .then(
        () => 'committed',
        () => 'failed',
      );
  }

  it('onCommit, implicit or with the manager, never runs the callback', async () => {
    const ran: string[] = [];
    const outcome = await killedThen(async (m) => {
      await onCommit(() => void ran.push('implicit')).catch(() => undefined);
      await onCommit(m, () => void ran.push('explicit')).catch(() => undefined);
    });
    await drainOnCommit();
    expect(outcome).toBe('failed');
    expect(ran).toEqual([]);
  });

  it('outbox: delayOnCommit() writes no row and publishes nothing', async () => {
    const broker = new RecordingBroker();
    const writer = new OutboxWriter({ broker: asBroker(broker) });
    const options = { dataSource: db.dataSource, dispatch: 'outbox' as const };
    const outcome = await killedThen(async (m) => {
      const prepared = (): { message: ReturnType<typeof message>; publish: { queue: string } } => ({
        message: message(),
        publish: { queue: 'q' },
      });
      await writeToOutbox(writer, options, prepared()).catch(() => undefined);
      await writeToOutbox(writer, options, prepared(), m).catch(() => undefined);
    });
    await drainOnCommit();
    expect(outcome).toBe('failed');
    expect(broker.published).toEqual([]);
    expect(await db.dataSource.getRepository(TaskOutbox).count()).toBe(0);
  });
});
