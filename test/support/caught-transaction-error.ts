import { randomUUID } from 'node:crypto';
import type { DataSource, QueryRunner } from 'typeorm';
import { expect } from 'vitest';
import { TransactionRolledBackError } from 'celeriac';
import { drainOnCommit, onCommit, TaskOutbox } from 'celeriac/typeorm';
import { OutboxWriter } from '../../libs/task-queue/src/transaction/outbox/outbox.writer.js';
import { asBroker, message, RecordingBroker } from './outbox-fixtures.js';
import { itemExists } from './typeorm-drivers.js';

/**
 * Opens a transaction that inserted the `item` row `marker`, then hit a database error that the
 * code caught and went on from (the server may have undone the statement or the whole
 * transaction).
 */
export type OpenAfterCaughtError = (marker: string) => Promise<QueryRunner>;

/** Commit such a transaction after an onCommit callback: whether it ran, whether `marker` was saved. */
export async function commitAfterCaughtError(
  dataSource: DataSource,
  open: OpenAfterCaughtError,
): Promise<{ ran: string[]; saved: boolean }> {
  const marker = randomUUID();
  const ran: string[] = [];
  const qr = await open(marker);
  try {
    await onCommit(qr.manager, () => void ran.push('after the error'));
    await qr.commitTransaction();
  } finally {
    await qr.release();
  }
  await drainOnCommit();
  return { ran, saved: await itemExists(dataSource, marker) };
}

/** Expects delayOnCommit() in a transaction the server undid to be refused: no row, nothing published. */
export async function expectOutboxWriteRefused(
  dataSource: DataSource,
  open: OpenAfterCaughtError,
): Promise<void> {
  const broker = new RecordingBroker();
  const writer = new OutboxWriter({ broker: asBroker(broker) });
  const qr = await open(randomUUID());
  try {
    await expect(writer.write(qr.manager, message(), { queue: 'q' })).rejects.toBeInstanceOf(
      TransactionRolledBackError,
    );
    await qr.commitTransaction();
  } finally {
    await qr.release();
  }
  await drainOnCommit();
  expect(broker.published).toEqual([]);
  expect(await dataSource.getRepository(TaskOutbox).count()).toBe(0);
}
