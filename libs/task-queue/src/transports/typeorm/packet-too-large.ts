import type { DataSource } from 'typeorm';
import type { TaskMeta } from '../../contracts/result-backend.interface.js';
import { MessageTooLargeError } from '../../errors/message-too-large.error.js';

/**
 * True when the database refused a statement for its size: MySQL / MariaDB's
 * `max_allowed_packet` (ER_NET_PACKET_TOO_LARGE, 1153; the server then closes the connection),
 * PostgreSQL's program_limit_exceeded (54000: a value above 1 GB).
 */
export function isPacketTooLargeError(error: unknown): boolean {
  const e = error as { code?: unknown; errno?: unknown; driverError?: typeof e } | null;
  const code = e?.driverError?.code ?? e?.code;
  const errno = e?.driverError?.errno ?? e?.errno;
  return code === 'ER_NET_PACKET_TOO_LARGE' || errno === 1153 || code === '54000';
}

/**
 * The refusal as a MessageTooLargeError (a definite refusal the worker does not retry), with
 * the state's JSON size and the server's limit (`max_allowed_packet`; PostgreSQL's 1 GB), or
 * undefined when `cause` is not about the size.
 */
export async function packetTooLarge(
  dataSource: DataSource,
  meta: TaskMeta,
  cause: unknown,
): Promise<MessageTooLargeError | undefined> {
  const refused = isPacketTooLargeError(cause);
  // MySQL closes the connection on an oversized packet, often before the client has read the
  // error: the write fails with ECONNRESET / EPIPE. The size tells a refusal from an outage.
  if (!refused && !isConnectionReset(cause)) return undefined;
  const size = jsonSize(meta);
  const limit = await serverLimit(dataSource);
  if (!refused && !(limit > 0 && size > limit)) return undefined;
  const postgres = dataSource.options.type === 'postgres';
  const what = postgres
    ? "PostgreSQL's 1 GB limit on a field"
    : limit > 0
      ? `the server's max_allowed_packet (${limit} bytes)`
      : "the server's max_allowed_packet";
  const error = new MessageTooLargeError(
    `The database refused the ${meta.status} of task ${meta.task_id} (about ${size} bytes): it ` +
      `is larger than ${what}, so it was not stored. Return a reference to the data (a row ` +
      `id, a URL) instead of the data${postgres ? '' : ', or raise max_allowed_packet on the server'}. ` +
      `(${String((cause as Error | null)?.message ?? cause)})`,
    size,
    limit,
  );
  (error as { cause?: unknown }).cause = cause;
  return error;
}

function isConnectionReset(error: unknown): boolean {
  const e = error as { code?: unknown; driverError?: { code?: unknown } } | null;
  const code = e?.driverError?.code ?? e?.code;
  return (
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    /\b(ECONNRESET|EPIPE)\b/.test(String((error as Error | null)?.message))
  );
}

function jsonSize(meta: TaskMeta): number {
  try {
    return Buffer.byteLength(JSON.stringify(meta));
  } catch {
    return 2 ** 29; // longer than the longest JavaScript string
  }
}

/** The last `max_allowed_packet` read from each data source (the read after a refusal can fail). */
const knownLimits = new WeakMap<DataSource, number>();

async function serverLimit(dataSource: DataSource): Promise<number> {
  if (dataSource.options.type === 'postgres') return 2 ** 30;
  // The refusal closed a pooled connection: the first read may get it, and fail.
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const rows = (await dataSource.query('SELECT @@max_allowed_packet AS max')) as {
        max: unknown;
      }[];
      const limit = Number(rows[0]?.max) || 0;
      if (limit > 0) {
        knownLimits.set(dataSource, limit);
        return limit;
      }
    } catch {
      // unknown yet: the connection may be gone with the refusal
    }
  }
  return knownLimits.get(dataSource) ?? 0;
}
