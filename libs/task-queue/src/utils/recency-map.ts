/*
 * A Map iterates in insertion order, so deleting and re-setting a key makes it the most
 * recent: the first key is then the least recently touched one.
 */

/** The value of `key`, made the most recent of `map`; `create` makes it when absent. */
export function touchEntry<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  let value = map.get(key);
  if (value !== undefined) map.delete(key);
  else value = create();
  map.set(key, value);
  return value;
}

/** Drop the least recently touched entries of `map` until at most `max` remain. */
export function dropOldest<K, V>(map: Map<K, V>, max: number): void {
  while (map.size > max) map.delete(map.keys().next().value as K);
}
