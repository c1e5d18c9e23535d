import { TaskTimeoutError } from '../errors/task-timeout.error.js';
import type { TaskMeta, WaitOptions } from '../contracts/result-backend.interface.js';
import { isReadyState } from './task-states.js';

/** How a backend reports updates: read the current meta, and subscribe to future ones. */
export interface ResultSource {
  current(): Promise<TaskMeta | null>;
  /** Call `onMeta` for each update; returns the unsubscribe function. */
  subscribe(onMeta: (meta: TaskMeta) => void): (() => void) | Promise<() => void>;
}

/**
 * Resolve when a task reaches a ready state. Subscribes first, then reads the current value,
 * so an update landing between the two is never missed. Shared by every push-based backend.
 */
export function waitForEvent(
  taskId: string,
  options: WaitOptions,
  source: ResultSource,
): Promise<TaskMeta> {
  return new Promise<TaskMeta>((resolve, reject) => {
    let settled = false;
    /** The backend answered the subscription and the first read. */
    let answered = false;
    let unsubscribe: (() => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    const finish = (error: Error | null, meta?: TaskMeta): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      unsubscribe?.();
      if (error) reject(error);
      else resolve(meta!);
    };
    const onMeta = (meta: TaskMeta): void => {
      if (isReadyState(meta.status)) finish(null, meta);
    };
    const onAbort = (): void => finish(options.signal!.reason ?? new Error('aborted'));
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.timeout !== undefined) {
      timer = setTimeout(
        () => finish(new TaskTimeoutError(taskId, options.timeout!, !answered)),
        options.timeout,
      );
    }
    Promise.resolve(source.subscribe(onMeta))
      .then((off) => {
        if (settled) return off();
        unsubscribe = off;
        return source.current().then((meta) => {
          answered = true;
          if (meta) onMeta(meta);
        });
      })
      .catch((error: Error) => finish(error));
  });
}
