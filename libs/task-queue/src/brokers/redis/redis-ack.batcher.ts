import type { RedisBrokerScripts } from './redis-broker.scripts.js';

/**
 * Coalesces acks issued in the same tick into one ack-2.lua call (a worker finishing many
 * short tasks at once costs one round trip, not one per task).
 */
export class RedisAckBatcher {
  private pending: { tag: string; resolve: () => void; reject: (error: unknown) => void }[] = [];
  private scheduled = false;

  constructor(private readonly scripts: RedisBrokerScripts) {}

  ack(tag: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ tag, resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => void this.flush());
    });
  }

  /** Send everything pending now. */
  async flush(): Promise<void> {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    try {
      await this.scripts.ack(batch.map((p) => p.tag));
      for (const p of batch) p.resolve();
    } catch (error) {
      for (const p of batch) p.reject(error);
    }
  }
}
