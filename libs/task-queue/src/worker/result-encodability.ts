import { UnserializableValueError } from '../errors/unserializable-value.error.js';
import { encodeJson } from '../protocol/json-codec.js';

/** An error of encoding the value (ours, or JSON.stringify's in a custom backend). */
export function isEncodingError(error: unknown): boolean {
  if (error instanceof UnserializableValueError) return true;
  if (!(error instanceof Error)) return false;
  return (
    (error instanceof TypeError && /circular|BigInt|serializ/i.test(error.message)) ||
    (error instanceof RangeError && /call stack/i.test(error.message))
  );
}

/** Why `value` cannot be written as JSON, precisely (the slow encoder's error), or undefined. */
export function explainUnencodable(
  value: unknown,
  what: string,
): UnserializableValueError | undefined {
  try {
    encodeJson(value, what);
    return undefined;
  } catch (error) {
    return error instanceof UnserializableValueError ? error : undefined;
  }
}

/** A return value JSON has no form for at the top (NaN, ±Infinity, a function, a symbol). */
export function unencodableTopLevel(value: unknown): UnserializableValueError | undefined {
  switch (typeof value) {
    case 'number':
      return Number.isFinite(value)
        ? undefined
        : new UnserializableValueError('result', `${value} has no JSON form`, '$');
    case 'function':
    case 'symbol':
      return new UnserializableValueError('result', `a ${typeof value} has no JSON form`, '$');
    default:
      return undefined;
  }
}
