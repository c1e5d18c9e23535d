import { UnserializableValueError } from '../errors/unserializable-value.error.js';
import { encodeJson } from '../protocol/json-codec.js';

/** An error of encoding the value (ours, or JSON.stringify's in a custom backend). */
export function isEncodingError(error: unknown): boolean {
  if (error instanceof UnserializableValueError) return true;
  if (!(error instanceof Error)) return false;
  return (
    (error instanceof TypeError && /circular|BigInt|serializ/i.test(error.message)) ||
    // Too deep, or longer than the longest string V8 holds (~512 MiB): no backend is to blame.
    (error instanceof RangeError && /call stack|invalid string length/i.test(error.message)) ||
    /^Cannot create a string longer than/.test(error.message) // Buffer's toString
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

/**
 * A return value JSON has no form for at the top (a function, a symbol). NaN and ±Infinity
 * are stored as Python's float tokens, as a Python task's `float('nan')` is.
 */
export function unencodableTopLevel(value: unknown): UnserializableValueError | undefined {
  switch (typeof value) {
    case 'function':
    case 'symbol':
      return new UnserializableValueError('result', `a ${typeof value} has no JSON form`, '$');
    default:
      return undefined;
  }
}
