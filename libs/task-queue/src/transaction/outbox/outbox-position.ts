/**
 * Where a new outbox row goes in relay order: `created_at`, never earlier than the previous
 * row's of this process (a clock stepping back does not reorder), then `seq`, a counter of this
 * process that breaks the ties of rows written in the same millisecond. Shared by every writer
 * of the process, so two module instances writing in one transaction keep their order too.
 */
let lastMs = 0;
let counter = 0;

export interface OutboxPosition {
  createdAt: Date;
  /** Decimal string (a `bigint` column). */
  seq: string;
}

export function nextOutboxPosition(): OutboxPosition {
  lastMs = Math.max(Date.now(), lastMs);
  counter += 1;
  return { createdAt: new Date(lastMs), seq: String(counter) };
}

/** Order of two `seq` values (decimal strings of a bigint column; numbers on some drivers). */
export function compareSeq(a: string | number, b: string | number): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
