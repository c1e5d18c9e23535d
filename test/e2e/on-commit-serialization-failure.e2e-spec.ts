import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { drainOnCommit, onCommit, TaskOutbox } from 'celeriac/typeorm';
import { OutboxWriter } from '../../libs/task-queue/src/transaction/outbox/outbox.writer.js';
import { asBroker, message, RecordingBroker } from '../support/outbox-fixtures.js';
import { ItemSchema, useCommitHooksDatabase } from '../support/typeorm-drivers.js';

function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

// Two SERIALIZABLE transactions with a write skew: each reads what the other inserts. The one
// that commits second fails at its COMMIT ("could not serialize access due to read/write
// dependencies"), after its callbacks and outbox rows were registered: they must be dropped.
describe('PostgreSQL SERIALIZABLE: a COMMIT that fails with a serialization failure', () => {
  const db = useCommitHooksDatabase('postgres', [TaskOutbox]);

  it('runs the callbacks and publishes the outbox rows of the winner only', async () => {
    const broker = new RecordingBroker();
    const writer = new OutboxWriter({ broker: asBroker(broker) });
    const prefix = `skew-${randomUUID().slice(0, 8)}`;
    const [read0, read1, first] = [gate(), gate(), gate()];
    const ran: string[] = [];
    const tasks = [message(), message()];
    const failedQueries: string[] = [];
    const spy = {
      afterQuery: (event: { success: boolean; query: string }) => {
        if (!event.success) failedQueries.push(event.query);
      },
    };
    db.dataSource.subscribers.push(spy);
    const body = (me: 0 | 1) => async (m: EntityManager) => {
      await m.query('SELECT count(*) FROM item WHERE id LIKE $1', [`${prefix}%`]);
      (me === 0 ? read0 : read1).open();
      await (me === 0 ? read1 : read0).wait;
      await m.insert(ItemSchema, { id: `${prefix}-${me}` });
      await onCommit(() => void ran.push(`t${me}`));
      await m.transaction(async () => onCommit(() => void ran.push(`t${me} savepoint`)));
      await writer.write(m, tasks[me]!, { queue: 'q' });
      if (me === 1) await first.wait; // commits second
    };
    const outcomes = await Promise.allSettled([
      db.dataSource.transaction('SERIALIZABLE', body(0)).finally(first.open),
      db.dataSource.transaction('SERIALIZABLE', body(1)),
    ]);
    db.dataSource.subscribers.splice(db.dataSource.subscribers.indexOf(spy), 1);
    await drainOnCommit();

    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected']);
    // PostgreSQL's serializable checks may refuse the loser at COMMIT or already at its next
    // write (the outbox row's INSERT): either way it rolls back as a whole.
    expect(failedQueries).toHaveLength(1);
    expect(failedQueries[0]).toMatch(/^(COMMIT|INSERT INTO)/);
    expect(ran).toEqual(['t0', 't0 savepoint']);
    expect(broker.published).toEqual([tasks[0]!.headers.id]);
    expect(await db.dataSource.getRepository(TaskOutbox).count()).toBe(0);
  });
});
