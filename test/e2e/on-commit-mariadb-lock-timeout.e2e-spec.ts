import { randomUUID } from 'node:crypto';
import { DataSource, type QueryRunner } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installCommitHooks, TaskOutbox, uninstallCommitHooks } from 'celeriac/typeorm';
import {
  commitAfterCaughtError,
  expectOutboxWriteRefused,
} from '../support/caught-transaction-error.js';
import { OUTBOX_MIGRATIONS } from '../support/celeriac-migrations.js';
import { PrivateMariaDbServer } from '../support/mariadb-test-server.js';
import { ItemSchema, useCommitHooksDatabase } from '../support/typeorm-drivers.js';

// A lock wait timeout (ER_LOCK_WAIT_TIMEOUT, 1205) whose error the code catches. InnoDB undoes only
// the statement by default, and the transaction commits the rest; on a server started with
// --innodb-rollback-on-timeout it undoes the WHOLE transaction, and what the code runs after it
// autocommits on its own. Callbacks must follow what was really committed.

/** A transaction on `dataSource` that inserted `marker`, then timed out waiting for a row lock. */
async function timedOut(dataSource: DataSource, marker: string): Promise<QueryRunner> {
  const row = randomUUID();
  await dataSource.getRepository(ItemSchema).insert({ id: row });
  const holder = dataSource.createQueryRunner();
  await holder.connect();
  await holder.startTransaction();
  await holder.query('SELECT id FROM item WHERE id = ? FOR UPDATE', [row]);
  const qr = dataSource.createQueryRunner();
  await qr.connect();
  try {
    await qr.query('SET SESSION innodb_lock_wait_timeout = 1');
    await qr.startTransaction();
    await qr.manager.insert(ItemSchema, { id: marker });
    const failure = await qr.query('UPDATE item SET id = ? WHERE id = ?', [`${row}-a`, row]).then(
      () => undefined,
      (error: { errno?: number }) => error.errno,
    );
    expect(failure).toBe(1205);
  } finally {
    await holder.rollbackTransaction();
    await holder.release();
  }
  return qr;
}

describe('lock wait timeout on a default MariaDB (only the statement is undone)', () => {
  const db = useCommitHooksDatabase('mariadb');

  it('the transaction commits its other writes, and its callbacks run', async () => {
    expect(
      await commitAfterCaughtError(db.dataSource, (marker) => timedOut(db.dataSource, marker)),
    ).toEqual({
      ran: ['after the error'],
      saved: true,
    });
  });
});

describe('lock wait timeout on MariaDB with innodb_rollback_on_timeout (the transaction is undone)', () => {
  let server: PrivateMariaDbServer;
  let dataSource: DataSource;

  beforeAll(async () => {
    server = await PrivateMariaDbServer.start(['--innodb-rollback-on-timeout=1']);
    const base = {
      type: 'mariadb',
      host: '127.0.0.1',
      port: server.port,
      username: 'root',
      password: '',
    } as const;
    const admin = new DataSource(base);
    await admin.initialize();
    await admin.query('CREATE DATABASE app');
    await admin.destroy();
    dataSource = new DataSource({
      ...base,
      database: 'app',
      entities: [ItemSchema, TaskOutbox],
      migrations: OUTBOX_MIGRATIONS,
    });
    await dataSource.initialize();
    await dataSource.synchronize();
    await dataSource.runMigrations();
    installCommitHooks(dataSource);
  }, 60_000);

  afterAll(async () => {
    if (dataSource?.isInitialized) {
      uninstallCommitHooks(dataSource);
      await dataSource.destroy();
    }
    await server?.destroy();
  });

  it('its onCommit callbacks are discarded, since nothing of it was committed', async () => {
    expect(
      await commitAfterCaughtError(dataSource, (marker) => timedOut(dataSource, marker)),
    ).toEqual({
      ran: [],
      saved: false,
    });
  });

  it('outbox: delayOnCommit() after it is refused, and nothing is written or published', async () => {
    await expectOutboxWriteRefused(dataSource, (marker) => timedOut(dataSource, marker));
  });
});
