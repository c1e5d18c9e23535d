import type { Redis } from 'ioredis';

/**
 * Blocking wake-up for an idle consumer, without taking anything off a queue.
 *
 * kombu consumes with BRPOP, which removes the message before it is recorded in `unacked`: a
 * crash between the two loses it. Celeriac takes messages only inside fetch-2.lua (pop and
 * record atomically) and uses Redis' blocking only to learn that a list is no longer empty:
 * `BLMOVE key key RIGHT RIGHT timeout` pops the tail and pushes it back to the tail of the
 * same list in one command, a no-op that blocks while the list is empty. BLMOVE watches one
 * key, so each watched list gets its own connection (queues x priority bands).
 *
 * `wait()` arms every idle watcher and resolves when any of them returns (data arrived, or its
 * timeout passed, so the caller re-checks anyway) or when the waker stops.
 */
export class RedisWaker {
  private readonly watchers: { key: string; client: Redis | null; busy: boolean }[];
  private wake: (() => void) | null = null;
  private stopped = false;

  constructor(
    keys: string[],
    private readonly connect: () => Redis,
    private readonly timeoutSeconds: number,
  ) {
    this.watchers = keys.map((key) => ({ key, client: null, busy: false }));
  }

  wait(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const woken = new Promise<void>((resolve) => (this.wake = resolve));
    for (const watcher of this.watchers) {
      if (watcher.busy) continue;
      watcher.busy = true;
      watcher.client ??= this.connect();
      watcher.client
        .blmove(watcher.key, watcher.key, 'RIGHT', 'RIGHT', this.timeoutSeconds)
        .catch(() => (this.stopped ? undefined : pause(1000)))
        .finally(() => {
          watcher.busy = false;
          this.fire();
        });
    }
    return woken;
  }

  /** Stop: wake any waiter and drop the blocking connections. */
  stop(): void {
    this.stopped = true;
    this.fire();
    for (const watcher of this.watchers) {
      watcher.client?.disconnect();
      watcher.client = null;
    }
  }

  private fire(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}

/** An unref'd delay, so a failing watcher (e.g. WRONGTYPE) does not spin. */
function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
