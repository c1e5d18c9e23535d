import type { Redis } from 'ioredis';
import type { IncomingMessage, ReplyQueue } from '../../contracts/broadcast-transport.interface.js';
import { REPLY_EXCHANGE } from '../../broadcast/pidbox.names.js';
import { decodeBroadcastEnvelope } from './redis-broadcast.envelope.js';

/** A Redis reply list `<oid>.reply.celery.pidbox` (and its priority lists), read with BRPOP. */
export class RedisReplyQueue implements ReplyQueue {
  private closed = false;

  constructor(
    readonly routingKey: string,
    private readonly blocking: Redis,
    private readonly keys: string[],
    private readonly release: () => Promise<void>,
  ) {}

  async next(timeoutMs: number): Promise<IncomingMessage | null> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) return null;
      const popped = await this.blocking
        .brpop(...this.keys, Math.max(0.01, left / 1000))
        .catch(() => 'error' as const);
      if (popped === 'error') await new Promise((r) => setTimeout(r, Math.min(100, left)));
      if (!popped || popped === 'error') continue;
      try {
        return decodeBroadcastEnvelope(popped[1], REPLY_EXCHANGE.name);
      } catch {
        continue;
      }
    }
    return null;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.blocking.disconnect();
    await this.release();
  }
}
