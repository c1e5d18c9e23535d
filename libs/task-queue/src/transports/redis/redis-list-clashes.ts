import type { Logger } from '@nestjs/common';

/** A queue list key that holds another Redis type (fetch-2.lua skipped it). */
export interface ListClash {
  key: string;
  queue: string;
  /** What `TYPE key` answered: string, hash, set, zset, stream. */
  type: string;
}

/**
 * Tells the operator, once, that a queue's list key holds another type (a name clash with other
 * data in the same database), and again when it is a list (or gone) once more. The consumer
 * keeps serving its other queues meanwhile.
 */
export class ListClashes {
  /** Key -> type, as last reported. */
  private readonly reported = new Map<string, string>();

  constructor(private readonly logger: Logger) {}

  /** `found`: the clashes of one fetch; `complete`: that fetch looked at every list. */
  update(found: readonly ListClash[], complete: boolean): void {
    if (found.length === 0 && this.reported.size === 0) return;
    for (const { key, queue, type } of found) {
      if (this.reported.get(key) === type) continue;
      this.reported.set(key, type);
      this.logger.warn(
        `Redis key "${key}" of queue "${queue}" holds a ${type}, not a list: nothing can be ` +
          `taken from it, and this worker serves its other queues meanwhile. Another program ` +
          `uses that name: rename or delete the key (redis-cli TYPE / RENAME / DEL), or give ` +
          `the queue, or the worker's Redis database, another name.`,
      );
    }
    if (!complete) return;
    for (const key of this.reported.keys()) {
      if (found.some((clash) => clash.key === key)) continue;
      this.reported.delete(key);
      this.logger.log(`Redis key "${key}" is no longer of another type: consuming it again.`);
    }
  }
}
