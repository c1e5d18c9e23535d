/**
 * Integer typing of AMQP field tables (message headers) for Python's py-amqp.
 *
 * amqplib picks the field type of a number by its size: -128..127 as `b`, up to ±32767 as `s`,
 * then `I`, then `l`. py-amqp reads `b` as unsigned and `s` as a short *string*, so a header
 * such as `timelimit: [300, null]` or a control reply's `clock: 500` kills the Python process
 * that reads it. Every integer is therefore sent as a signed 32-bit `I` (what py-amqp itself
 * writes), or, outside that range, as a 64-bit `l` (read by py-amqp as unsigned: exact for
 * positive values). A negative integer below -2^31 has no type both sides read the same way:
 * it is sent as a double (`d`), exact up to 2^53.
 */

/** A number with an explicit field type, in amqplib's `{ '!': type, value }` notation. */
interface TypedNumber {
  readonly '!': 'int' | 'long' | 'double';
  readonly value: number;
}

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;
/** amqplib encodes integers at or above 2^63 as doubles already. */
const INT64_LIMIT = 2 ** 63;

/** Shared wrappers of the small integers headers carry most (retries, clocks, limits). */
const SMALL = Array.from({ length: 1024 }, (_, n) =>
  Object.freeze<TypedNumber>({ '!': 'int', value: n }),
);

function typedInteger(n: number): TypedNumber {
  if (n >= 0 && n < SMALL.length) return SMALL[n];
  if (n >= INT32_MIN && n <= INT32_MAX) return { '!': 'int', value: n };
  if (n > INT32_MAX && n < INT64_LIMIT) return { '!': 'long', value: n };
  return { '!': 'double', value: n };
}

/**
 * The value to hand to amqplib for one field-table value: integers typed, arrays and nested
 * tables converted copy-on-write (returned unchanged, not copied, when they hold no integer).
 */
export function typedAmqpValue(value: unknown): unknown {
  if (typeof value === 'number') return Number.isInteger(value) ? typedInteger(value) : value;
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return typedArray(value);
  if (Buffer.isBuffer(value) || Object.hasOwn(value, '!')) return value;
  return typedAmqpTable(value as Record<string, unknown>);
}

/**
 * A field table with every integer typed (see the file comment). Copy-on-write: the table is
 * returned as is when it holds no integer, and is never modified.
 */
export function typedAmqpTable<T extends Record<string, unknown>>(table: T): T {
  let copy: Record<string, unknown> | undefined;
  for (const key in table) {
    const value = table[key];
    const typed = typedAmqpValue(value);
    if (typed !== value) (copy ??= { ...table })[key] = typed;
  }
  return (copy ?? table) as T;
}

/**
 * Type the integers of a table this publish owns (built for this one message), in place: no
 * copy of the table itself. Idempotent, so a publish attempted again converts nothing twice.
 */
export function typeAmqpTableInPlace(table: Record<string, unknown> | undefined): void {
  if (!table) return;
  for (const key in table) {
    const value = table[key];
    const typed = typedAmqpValue(value);
    if (typed !== value) table[key] = typed;
  }
}

function typedArray(values: unknown[]): unknown[] {
  let copy: unknown[] | undefined;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    const typed = typedAmqpValue(value);
    if (typed !== value) (copy ??= values.slice())[i] = typed;
  }
  return copy ?? values;
}
