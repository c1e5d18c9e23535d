import { randomUUID } from 'node:crypto';
import type { QueryRunner } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { TaskOutbox } from 'celeriac/typeorm';
import {
  commitAfterCaughtError,
  expectOutboxWriteRefused,
} from '../support/caught-transaction-error.js';
import { ItemSchema, useCommitHooksDatabase } from '../support/typeorm-drivers.js';

// MariaDB with innodb_snapshot_isolation=ON (the default from MariaDB 11.6.2): at REPEATABLE READ,
// writing a row another transaction changed since this one's snapshot fails with ER_CHECKREAD
// (1020) and InnoDB rolls the WHOLE transaction back, as for a deadlock. Code that catches the
// error and goes on then commits nothing of its own: its callbacks must not run, and an outbox
// row written after it would autocommit on its own.
describe('MariaDB snapshot isolation conflict (ER_CHECKREAD) whose error was caught', () => {
  const db = useCommitHooksDatabase('mariadb', [TaskOutbox]);

  /** A transaction with `marker` inserted whose snapshot-isolation conflict was swallowed. */
  async function conflicted(marker: string): Promise<QueryRunner> {
    const row = randomUUID();
    await db.dataSource.getRepository(ItemSchema).insert({ id: row });
    const qr = db.dataSource.createQueryRunner();
    await qr.connect();
    await qr.query('SET SESSION innodb_snapshot_isolation = ON');
    await qr.startTransaction();
    await qr.manager.insert(ItemSchema, { id: marker });
    await qr.query('SELECT id FROM item WHERE id = ?', [row]); // the snapshot
    await db.dataSource.query('UPDATE item SET id = ? WHERE id = ?', [`${row}-b`, row]);
    const failure = await qr.query('UPDATE item SET id = ? WHERE id = ?', [`${row}-a`, row]).then(
      () => undefined,
      (error: { errno?: number }) => error.errno,
    );
    expect(failure).toBe(1020);
    return qr;
  }

  it('its onCommit callbacks are discarded, since nothing of it was committed', async () => {
    expect(await commitAfterCaughtError(db.dataSource, conflicted)).toEqual({
      ran: [],
      saved: false,
    });
  });

  it('outbox: delayOnCommit() after it is refused, and nothing is written or published', async () => {
    await expectOutboxWriteRefused(db.dataSource, conflicted);
  });
});
