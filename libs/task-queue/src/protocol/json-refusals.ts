/**
 * Values JSON.stringify writes as `{}`, losing what they hold, which the strict encoder
 * (json-codec.ts) refuses instead: collections and Errors without fields.
 */

/** Containers JSON.stringify writes as `{}`, losing their entries. */
const COLLECTIONS = new Set(['Map', 'Set', 'WeakMap', 'WeakSet']);

export const COLLECTION_HINTS: Record<string, string> = {
  Map: ' (convert it: Object.fromEntries(map))',
  Set: ' (convert it: [...set])',
};

export const BARE_ERROR =
  'an Error has no JSON form (JSON.stringify writes {}): throw it to fail the task, or send ' +
  'its message';

/**
 * An Error (subclasses too) with no enumerable field: JSON.stringify writes `{}`, so a task
 * that returned one succeeded with nothing of it (Python's json refuses an exception: Celery
 * fails the task with EncodeError). One with fields (a `code`) is written with them.
 */
export function isBareError(value: object): boolean {
  return (
    Object.prototype.toString.call(value) === '[object Error]' && Object.keys(value).length === 0
  );
}

/** `Map`, `Set`, `WeakMap` or `WeakSet` (subclasses too), else undefined. */
export function collectionOf(value: object): string | undefined {
  const tag = Object.prototype.toString.call(value).slice(8, -1);
  return COLLECTIONS.has(tag) ? tag : undefined;
}
