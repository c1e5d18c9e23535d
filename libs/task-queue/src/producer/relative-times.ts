import type { TaskMessage } from '../contracts/task-message.interface.js';
import { toCeleryDate } from '../protocol/json-codec.js';

/**
 * The times of a send given relative to "now" (`countdown`, `expires` in seconds), in ms. An
 * on-commit send keeps them so its `eta` and `expires` count from the COMMIT, as Celery's
 * `apply_async_on_commit` and Django's `on_commit(lambda: task.apply_async(...))` compute them
 * when the callback runs, not when it was registered.
 */
export interface RelativeTimes {
  readonly countdownMs?: number;
  readonly expiresInMs?: number;
}

/** Recompute the message's relative `eta` / `expires` from `now` (in place). */
export function rebaseTimes(
  message: TaskMessage,
  relative: RelativeTimes | undefined,
  now: number = Date.now(),
): void {
  if (!relative) return;
  const headers = message.headers;
  if (relative.countdownMs !== undefined)
    headers.eta = toCeleryDate(new Date(now + relative.countdownMs));
  if (relative.expiresInMs !== undefined)
    headers.expires = toCeleryDate(new Date(now + relative.expiresInMs));
}
