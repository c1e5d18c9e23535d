import { parse as parseLossless } from 'lossless-json';
import { InvalidMessageError } from '../errors/invalid-message.error.js';
import { UnserializableValueError } from '../errors/unserializable-value.error.js';
import { BARE_ERROR, COLLECTION_HINTS, collectionOf, isBareError } from './json-refusals.js';
import { hasLongDigitRun } from './digit-run.js';

/** Deepest nesting the strict encoder writes (Python's json reads about 1000 levels). */
const MAX_DEPTH = 1000;

/**
 * JSON as Celery writes and reads it, for what Python reads (task messages, stored and `rpc://`
 * results, chord members). Encoding writes dates as plain ISO strings (every kombu version
 * reads them), BigInts as exact integers (Python's int), and NaN / ±Infinity as the bare tokens
 * `NaN`, `Infinity`, `-Infinity` that Python's `json.dumps` writes (kombu keeps
 * `allow_nan=True`): not strict JSON, so never use it for JSON other readers parse (HTTP, the
 * dashboard, logs). Decoding turns kombu ≥ 5.3 tagged values (`{"__type__": "datetime",
 * "__value__": ...}`) back into native values and integers beyond 2^53 into BigInts. See
 * docs/protocol.md#serialization.
 *
 * Throws UnserializableValueError (saying where) for a circular structure, nesting deeper than
 * 1000 levels, a Map, Set, WeakMap or WeakSet (JSON.stringify would write `{}` and lose what it
 * holds; Python's json refuses a set the same way), an Error without fields (`{}` too), or a
 * top-level value JSON has no form for
 * (undefined, a function, a symbol). `what` names the value in that message ("result", "the
 * arguments of orders.process").
 */
export function encodeJson(value: unknown, what = 'value'): string {
  // The commonest results: nothing, a number.
  if (value === null) return 'null';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : floatToken(value);
  // Small plain data (most arguments and results): written as JSON.stringify writes it.
  if (isPlainJson(value, PLAIN_DEPTH)) return JSON.stringify(value);
  let text: string | undefined;
  try {
    // The common case: V8's own encoder, no replacer (a replacer makes it several times slower).
    text = JSON.stringify(value);
  } catch {
    // BigInt, a cycle, nesting too deep for the native encoder, or a throwing toJSON.
    return encodeStrict(value, what);
  }
  if (text === undefined) {
    throw new UnserializableValueError(what, `${typeOf(value)} has no JSON form`, '$');
  }
  // JSON.stringify writes NaN and ±Infinity as null, and a Map or Set as {}: only a text with
  // one of those can hide one, and a substring search is cheap next to the encoding itself. The
  // value is walked again only then.
  if (text.includes('null') || text.includes('{}')) return encodeStrict(value, what);
  return text;
}

/** How deep, and how many entries per level, {@link isPlainJson} looks before giving up. */
const PLAIN_DEPTH = 3;
const PLAIN_WIDTH = 32;

/**
 * True when JSON.stringify writes `value` exactly as {@link encodeJson} must: strings,
 * booleans, null, finite numbers, and arrays / plain objects of them, small and shallow. A
 * cheap look that lets the common value skip the checks of the text; false says nothing (the
 * value may still be plain). Never throws: a getter that throws makes it false, and the
 * encoder then reports it (a handler's result with such a getter was taken for a backend
 * outage, retried for a minute and run again).
 */
export function isPlainJson(value: unknown, depth = PLAIN_DEPTH): boolean {
  try {
    return isPlain(value, depth);
  } catch {
    return false;
  }
}

function isPlain(value: unknown, depth: number): boolean {
  if (value === null) return true;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object':
      break;
    default:
      return false;
  }
  if (depth === 0) return false;
  if (Array.isArray(value)) {
    if (value.length > PLAIN_WIDTH) return false;
    for (let i = 0; i < value.length; i++) if (!isPlain(value[i], depth - 1)) return false;
    return true;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  let entries = 0;
  for (const key in value) {
    if (++entries > PLAIN_WIDTH) return false;
    if (!isPlain((value as Record<string, unknown>)[key], depth - 1)) return false;
  }
  return true;
}

/** The token Python's json writes for a non-finite float. */
function floatToken(value: number): string {
  return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
}

export function decodeJson(text: string, what = 'message body'): unknown {
  try {
    const tagged = text.includes('"__type__"');
    // Integers beyond 2^53 need a lossless parser (JSON.parse rounds them): only when the
    // text has a 16-digit run, which no safe integer has.
    if (hasLongDigitRun(text)) return parseLossless(text, tagged ? reviveTagged : null, toNumber);
    // A reviver makes JSON.parse several times slower: use it only when a tagged value is there.
    return tagged ? JSON.parse(text, reviveTagged) : JSON.parse(text);
  } catch (error) {
    throw new InvalidMessageError(`The ${what} is not valid JSON: ${messageOf(error)}`, {
      cause: error,
    });
  }
}

/** A JSON number as a number, or a BigInt when it is an integer a double cannot hold exactly. */
function toNumber(text: string): number | bigint {
  const value = Number(text);
  if (Number.isSafeInteger(value) || !/^-?\d+$/.test(text)) return value;
  return BigInt(text);
}

/**
 * The slow path of {@link encodeJson}: JSON.stringify's rules (toJSON, undefined / functions /
 * symbols omitted in objects and null in arrays), plus NaN and ±Infinity as Python's tokens,
 * BigInt as an exact integer, and an error that says where a cycle, too deep a nesting or a
 * Map / Set is.
 */
function encodeStrict(root: unknown, what: string): string {
  const ancestors = new Set<object>();
  const walk = (input: unknown, key: string, path: string): string | undefined => {
    let value = input;
    if (value !== null && typeof value === 'object') {
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') value = (toJSON as (k: string) => unknown).call(value, key);
    }
    switch (typeof value) {
      case 'string':
        return JSON.stringify(value);
      case 'number':
        return Number.isFinite(value) ? String(value) : floatToken(value);
      case 'boolean':
        return value ? 'true' : 'false';
      case 'bigint':
        return value.toString();
      case 'undefined':
      case 'function':
      case 'symbol':
        return undefined;
    }
    if (value === null) return 'null';
    const object = value as object;
    if (ancestors.has(object)) {
      throw new UnserializableValueError(what, 'circular structure', path);
    }
    const collection = collectionOf(object);
    if (collection) {
      const hint = COLLECTION_HINTS[collection] ?? '';
      throw new UnserializableValueError(what, `a ${collection} has no JSON form${hint}`, path);
    }
    if (isBareError(object)) {
      throw new UnserializableValueError(what, BARE_ERROR, path);
    }
    if (ancestors.size >= MAX_DEPTH) {
      throw new UnserializableValueError(what, `nested deeper than ${MAX_DEPTH} levels`, path);
    }
    ancestors.add(object);
    try {
      if (Array.isArray(object)) {
        const items = object.map((item, i) => walk(item, String(i), `${path}[${i}]`) ?? 'null');
        return `[${items.join(',')}]`;
      }
      const fields: string[] = [];
      for (const name of Object.keys(object)) {
        let field: unknown;
        try {
          field = (object as Record<string, unknown>)[name];
        } catch (error) {
          const why = `reading it threw ${messageOf(error)}`;
          throw new UnserializableValueError(what, why, pathOf(path, name));
        }
        const text = walk(field, name, pathOf(path, name));
        if (text !== undefined) fields.push(`${JSON.stringify(name)}:${text}`);
      }
      return `{${fields.join(',')}}`;
    } finally {
      ancestors.delete(object);
    }
  };
  let text: string | undefined;
  try {
    text = walk(root, '', '$');
  } catch (error) {
    if (error instanceof UnserializableValueError) throw error;
    throw new UnserializableValueError(what, `reading it threw ${messageOf(error)}`, '$');
  }
  if (text === undefined) {
    throw new UnserializableValueError(what, `${typeOf(root)} has no JSON form`, '$');
  }
  return text;
}

function pathOf(parent: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

function typeOf(value: unknown): string {
  return value === undefined ? 'undefined' : `a ${typeof value}`;
}

/** An error's message, never throwing (the error may be anything a handler threw). */
function messageOf(error: unknown): string {
  try {
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  } catch {
    return 'an error that cannot be described';
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
