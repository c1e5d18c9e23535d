import { InvalidMessageError } from '../errors/invalid-message.error.js';

/**
 * JSON as Celery writes and reads it. Encoding writes dates as plain ISO strings (every kombu
 * version reads them); decoding turns kombu ≥ 5.3 tagged values (`{"__type__": "datetime",
 * "__value__": ...}`) back into native values. See docs/protocol.md#serialization.
 */
export function encodeJson(value: unknown): string {
  try {
    // A replacer makes JSON.stringify several times slower: use it only for BigInts.
    return JSON.stringify(value);
  } catch (error) {
    if (!(error instanceof TypeError) || !/BigInt/i.test(error.message)) throw error;
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  }
}

export function decodeJson(text: string, what = 'message body'): unknown {
  try {
    // A reviver makes JSON.parse several times slower: use it only when a tagged value is there.
    return text.includes('"__type__"') ? JSON.parse(text, reviveTagged) : JSON.parse(text);
  } catch (error) {
    throw new InvalidMessageError(`The ${what} is not valid JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function reviveTagged(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const tagged = value as { __type__?: unknown; __value__?: unknown };
  if (typeof tagged.__type__ !== 'string' || !('__value__' in tagged)) return value;
  const raw = tagged.__value__;
  switch (tagged.__type__) {
    case 'datetime':
      return typeof raw === 'string' ? new Date(utcIso(raw)) : value;
    case 'date':
    case 'time':
    case 'decimal':
    case 'uuid':
      return typeof raw === 'string' ? raw : value;
    case 'bytes':
    case 'base64':
      return typeof raw === 'string'
        ? Buffer.from(raw, tagged.__type__ === 'base64' ? 'base64' : 'utf8')
        : value;
    default:
      return value;
  }
}

/** Celery treats naive ISO timestamps as UTC; JS would read them as local time. */
export function utcIso(iso: string): string {
  return /(Z|[+-]\d{2}:?\d{2})$/.test(iso) ? iso : `${iso}Z`;
}

/** Parse a Celery timestamp (ISO, naive = UTC) to a Date, or null. */
export function parseCeleryDate(iso: string | null | undefined): Date | null {
  if (!iso) return null;
  const date = new Date(utcIso(iso));
  return Number.isNaN(date.getTime()) ? null : date;
}

let lastNowMs = -1;
let lastNow = '';

/** `toCeleryDate(new Date())`, formatted once per millisecond (a busy worker stores many a ms). */
export function celeryNow(): string {
  const ms = Date.now();
  if (ms !== lastNowMs) {
    lastNowMs = ms;
    lastNow = toCeleryDate(new Date(ms));
  }
  return lastNow;
}

/** Python's isoformat with an explicit offset: `2026-11-22T05:17:18.308000+00:00`. */
export function toCeleryDate(date: Date): string {
  const iso = date.toISOString();
  // Years 0–9999 (`YYYY-MM-DDTHH:mm:ss.sssZ`): slice instead of a regex, once per stored result.
  if (iso.length === 24) return `${iso.slice(0, 23)}000+00:00`;
  return iso.replace(/\.(\d{3})Z$/, '.$1000+00:00');
}
