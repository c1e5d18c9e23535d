import type { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { errorText } from '../../utils/error-text.js';

/**
 * The `_kombu.binding.<exchange>` members a broker added with `bindDirect()` (worker_direct's
 * `<hostname>.dq2` on `C.dq2`), added again each time its connection is ready after a loss, as
 * a Python worker declares its queues again on reconnect: a Redis restarted without
 * persistence has lost them, and a publish routed through that exchange would find no queue.
 */
export class RedisDirectBindings {
  /** Members by binding key. */
  private readonly bindings = new Map<string, Set<string>>();
  private listening = false;

  constructor(
    private readonly client: Redis,
    private readonly logger: Logger,
  ) {}

  /** Remember `member` of `key` (already added by the caller) to add it again on reconnect. */
  remember(key: string, member: string): void {
    const members = this.bindings.get(key) ?? new Set<string>();
    members.add(member);
    this.bindings.set(key, members);
    if (this.listening) return;
    this.listening = true;
    this.client.on('ready', () => void this.restore());
  }

  private async restore(): Promise<void> {
    for (const [key, members] of this.bindings) {
      try {
        await this.client.sadd(key, ...members);
      } catch (error) {
        this.logger.warn(
          `Could not bind ${[...members].join(', ')} again in ${key} after the Redis ` +
            `connection came back (${errorText(error)}); a publish through that exchange finds ` +
            `no queue until the worker restarts.`,
        );
      }
    }
  }
}
