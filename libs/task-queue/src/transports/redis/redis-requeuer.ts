import type { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { TickBatcher } from '../../utils/tick-batcher.js';
import type { RedisBrokerScripts } from './redis-broker.scripts.js';
import type { RedisKeyspace } from './redis-keys.js';
import { withTimeout } from '../../utils/with-timeout.js';
import { answerWithin, inOutage } from './redis.connection.js';

/** Timings of a {@link RedisRequeuer}. */
export interface RedisRequeuerOptions {
  /** Milliseconds to wait for Redis's answer (the broker's publishTimeout). */
  timeoutMs: number;
  /** Seconds after which any worker restores an unacked entry (visibility timeout). */
  visibilityTimeout: number;
}

/**
 * Puts rejected deliveries back on their queues (reject with requeue), the requeues of one
 * event-loop turn in one requeue-2.lua call, and at close gives the unsettled ones back to the
 * front of their queues (`giveBack`). The wait for Redis is bounded, and skipped during
 * an outage or a stall (answerWithin): at a shutdown while Redis is down the worker waited for
 * Redis for ever. A requeue
 * that gets no answer is logged once per batch and never fails the caller; the entry stays in
 * `unacked`, where the command (still queued in the client) or the visibility-timeout restore
 * puts it back.
 */
export class RedisRequeuer {
  private readonly batcher = new TickBatcher<string>((tags) => this.send(tags));

  constructor(
    private readonly client: Redis,
    private readonly scripts: RedisBrokerScripts,
    private readonly keys: RedisKeyspace,
    private readonly logger: Logger,
    private readonly options: RedisRequeuerOptions,
  ) {}

  /** Requeue `tag` at the back of its queue; resolves once done or given up (never rejects). */
  add(tag: string): Promise<void> {
    return this.batcher.add(tag);
  }

  private async send(tags: string[]): Promise<void> {
    const { timeoutMs, visibilityTimeout } = this.options;
    try {
      await answerWithin(
        this.client,
        this.scripts.requeue(tags, true),
        timeoutMs,
        (reason) => new Error(`Redis ${reason}`),
      );
    } catch (error) {
      this.logger.warn(
        `Could not requeue ${tags.length} message(s): ${(error as Error).message}. They stay in ` +
          `"${this.keys.unacked}": they go back to their queues when Redis answers, or after the ` +
          `visibility timeout (${visibilityTimeout} s) if this process has exited by then.`,
      );
    }
  }

  /**
   * At close: flush the pending acks, then give this process's unsettled deliveries `tags`
   * back to the front of their queues (like a Python worker's warm shutdown), within
   * `timeoutMs`. Never rejects: what Redis did not take stays in `unacked` (logged).
   */
  async giveBack(tags: string[], acks: TickBatcher<string>): Promise<void> {
    const wait = this.options.timeoutMs;
    try {
      if (tags.length > 0 && inOutage(this.client)) throw new Error('Redis is unreachable');
      await withTimeout(
        (async () => {
          await acks.flush();
          if (tags.length === 0) return;
          this.logger.log(`Restoring ${tags.length} unacknowledged message(s) to their queues.`);
          await this.scripts.requeue(tags, false);
        })(),
        wait,
        () => new Error(`Redis did not answer within ${wait} ms`),
      );
    } catch (error) {
      if (tags.length === 0) return;
      this.logger.warn(
        `Could not give back ${tags.length} unacknowledged message(s) on close: ${(error as Error).message}. ` +
          `They stay in "${this.keys.unacked}" and any worker restores them after the ` +
          `visibility timeout (${this.options.visibilityTimeout} s).`,
      );
    }
  }
}
