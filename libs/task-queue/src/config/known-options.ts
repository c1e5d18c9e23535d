import { ConfigurationError } from '../errors/configuration.error.js';

/**
 * Throws a ConfigurationError naming the first key of `value` that is not in `known`, with the
 * closest known key as a suggestion: `TaskQueueModule: unknown option "events.taskEvent" (did
 * you mean "taskEvents"?); events takes enabled, heartbeatInterval, taskEvents.`, or, for a key
 * of another section (`elsewhere`), where it belongs: `unknown option "queues" (it belongs at
 * "worker.queues")`. TypeScript
 * catches such typos in object literals, not in spread, computed or JavaScript options, which
 * would otherwise be ignored without a word.
 *
 * @param owner what the options configure (`TaskQueueModule`, `TaskQueueBeatModule`, ...)
 * @param path where `value` sits (`events`, `worker.http`, `@Task('orders.process')`), or ''
 */
export function rejectUnknownOptions(
  owner: string,
  path: string,
  value: unknown,
  known: readonly string[],
  /** Keys of the other sections, with their full paths: `{ queues: 'worker.queues' }`. */
  elsewhere: Readonly<Record<string, string>> = {},
): void {
  if (typeof value !== 'object' || value === null) return;
  const unknown = Object.keys(value).find((key) => !known.includes(key));
  if (unknown === undefined) return;
  const home = Object.hasOwn(elsewhere, unknown) ? elsewhere[unknown] : undefined;
  const guess = closest(unknown, known);
  const hint = home ? ` (it belongs at "${home}")` : guess ? ` (did you mean "${guess}"?)` : '';
  throw new ConfigurationError(
    `${owner}: unknown option "${path ? `${path}.` : ''}${unknown}"` +
      hint +
      `; ${path || owner} takes ${known.join(', ')}.`,
  );
}

/** The known key nearest to `key` (case-insensitive, a third of its letters or 2 apart), if any. */
function closest(key: string, known: readonly string[]): string | undefined {
  const limit = Math.max(2, Math.ceil(key.length / 3));
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(key.toLowerCase(), name.toLowerCase());
    if (distance <= limit && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length]!;
}
