import type { DataSource, EntityManager } from 'typeorm';
import { InvalidMessageError } from '../../errors/invalid-message.error.js';
import type { TaskOutbox } from './task-outbox.entity.js';

/** Characters mysql2 escapes with a backslash when it inlines a parameter: \0 \b \t \n \r ^Z " ' \. */
const ESCAPED = new Set([0, 8, 9, 10, 13, 26, 34, 39, 92]);
/** The INSERT statement and the other columns. */
const STATEMENT_BYTES = 4_096;

const limits = new WeakMap<DataSource, number>();

/**
 * MySQL/MariaDB: refuse a row whose INSERT would exceed the server's `max_allowed_packet`,
 * before sending it. The server would close the connection instead (mysql2 reports
 * `ECONNRESET`), killing the caller's transaction with an error that names nothing.
 */
export async function checkPacketSize(manager: EntityManager, row: TaskOutbox): Promise<void> {
  const bytes = packetBytes(row);
  const dataSource = manager.connection;
  const known = limits.get(dataSource);
  if (known !== undefined && bytes <= known) return;
  // Read once, and again before refusing (an operator may have raised it since).
  const [{ limit }] = (await manager.query('SELECT @@max_allowed_packet AS `limit`')) as Array<{
    limit: number | string;
  }>;
  const current = Number(limit);
  limits.set(dataSource, current);
  if (bytes <= current) return;
  throw new InvalidMessageError(
    `Cannot write ${row.taskName.slice(0, 120)}[${row.id}] to the outbox: its INSERT is about ` +
      `${mib(bytes)} MiB, over the database's max_allowed_packet (${mib(current)} MiB), and the ` +
      `server would drop the connection. Pass a reference to the data (a row id, a URL) ` +
      `instead of the data, or raise max_allowed_packet on the server. Nothing was written.`,
  );
}

function packetBytes(row: TaskOutbox): number {
  let bytes = STATEMENT_BYTES;
  for (const text of [row.message, row.traceContext ?? '']) {
    bytes += Buffer.byteLength(text);
    for (let i = 0; i < text.length; i++) if (ESCAPED.has(text.charCodeAt(i))) bytes++;
  }
  return bytes;
}

function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}
