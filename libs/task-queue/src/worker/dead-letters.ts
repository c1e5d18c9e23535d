import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { Broker, Delivery } from '../contracts/broker.interface.js';
import type { TaskMessage } from '../contracts/task-message.interface.js';
import { getBrokerToken } from '../utils/tokens.js';
import { NO_INSTRUMENTATION, type TaskInstrumentation } from '../tasks/task-instrumentation.js';
import { PUBLISH_INSTRUMENTATION } from '../tasks/sent-reporting.instrumentation.js';
import { logName } from '../utils/log-text.js';

/** Headers a dead-lettered message carries (besides all of its own). */
export const DEAD_LETTER_HEADERS = {
  reason: 'x-celeriac-dead-reason',
  queue: 'x-celeriac-original-queue',
  at: 'x-celeriac-dead-at',
} as const;

/**
 * Why a message was dead-lettered: the `reason` label of `celeriac_dead_lettered_total`
 * (`celeriac/prometheus`). `other` for calls that do not say.
 */
export type DeadLetterKind = 'malformed' | 'unknown_task' | 'rejected' | 'max_retries' | 'other';

/** Told of every message moved to a dead-letter queue: the queue it came from and why. */
export type DeadLetterListener = (queue: string, kind: DeadLetterKind) => void;

/** The dead-letter queue of a queue. */
export function deadLetterQueueOf(queue: string): string {
  return `${queue}.dlq`;
}

/**
 * Dead letters: messages that cannot be decoded, name an unknown task or exhausted their
 * retries are moved, whole and with the reason, to `<queue>.dlq` on the same broker: never a
 * crash loop, never a silent drop. `redrive()` puts them back.
 * @publicApi
 */
@Injectable()
export class DeadLetters {
  private readonly logger = new Logger('TaskQueue');
  private readonly listeners = new Set<DeadLetterListener>();

  constructor(
    @Inject(getBrokerToken()) private readonly broker: Broker,
    @Optional()
    @Inject(PUBLISH_INSTRUMENTATION)
    private readonly instrumentation: TaskInstrumentation = NO_INSTRUMENTATION,
  ) {}

  /** Call `listener` for every message moved from now on; returns the function that stops it. */
  onDeadLetter(listener: DeadLetterListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /**
   * Move a delivery to its dead-letter queue (publish first, then ack: never lost), and log it
   * on one line: `reason` (also stored in the message), then `hint` (what to do), at `level`.
   * `kind` classifies it for the listeners (the metrics).
   */
  async deadLetter(
    delivery: Delivery,
    reason: string,
    {
      level = 'warn',
      hint = '',
      kind = 'other',
    }: { level?: 'warn' | 'error'; hint?: string; kind?: DeadLetterKind } = {},
  ): Promise<void> {
    const queue = deadLetterQueueOf(delivery.queue);
    const message: TaskMessage = {
      ...delivery.message,
      headers: {
        ...delivery.message.headers,
        [DEAD_LETTER_HEADERS.reason]: reason,
        [DEAD_LETTER_HEADERS.queue]: delivery.queue,
        [DEAD_LETTER_HEADERS.at]: new Date().toISOString(),
      },
    };
    await this.broker.publish(message, { queue, priority: 0 });
    await delivery.ack();
    for (const listener of this.listeners) listener(delivery.queue, kind);
    const headers = delivery.message.headers as Record<string, unknown> | undefined;
    // Named by its task id, else the correlation id producers set to it, else the tag.
    const correlationId = delivery.message.properties?.correlation_id;
    const id = logName(headers?.id, logName(correlationId, `with tag ${delivery.deliveryTag}`));
    this.logger[level](
      `Moved message ${id} from "${delivery.queue}" to "${queue}": ${reason.replace(/\.$/, '')}. ` +
        `${hint ? `${hint.replace(/\.$/, '')}. ` : ''}` +
        `Inspect it there and call DeadLetters.redrive('${delivery.queue}') once fixed.`,
      { taskId: id, taskName: logName(headers?.task, ''), queue: delivery.queue },
    );
  }

  /** Number of dead letters waiting for `queue`. */
  count(queue: string): Promise<number> {
    return this.broker.queueLength(deadLetterQueueOf(queue));
  }

  /**
   * Re-publish up to `limit` dead letters of `queue` to the queue they came from, without the
   * dead-letter headers. Resolves how many were moved.
   */
  async redrive(queue: string, limit = Number.POSITIVE_INFINITY): Promise<number> {
    const source = deadLetterQueueOf(queue);
    // Only what is there now: a message dead-lettered again during the redrive (its cause is
    // not fixed yet) stays for the next call instead of cycling.
    const total = Math.min(limit, await this.broker.queueLength(source));
    let moved = 0;
    while (moved < total) {
      const delivery = await this.takeOne(source);
      if (!delivery) break;
      const headers = { ...delivery.message.headers };
      const target = String(headers[DEAD_LETTER_HEADERS.queue] ?? queue);
      for (const key of Object.values(DEAD_LETTER_HEADERS)) delete headers[key];
      const message = { ...delivery.message, headers };
      const options = { queue: target };
      await this.instrumentation.wrapPublish({ message, options, via: 'redrive' }, () =>
        this.broker.publish(message, options),
      );
      await delivery.ack();
      moved++;
    }
    if (moved) this.logger.log(`Re-drove ${moved} dead letter(s) from "${source}" to "${queue}".`);
    return moved;
  }

  /** Read the dead letters of `queue` without removing them (up to `limit`). */
  async peek(queue: string, limit = 100): Promise<TaskMessage[]> {
    const source = deadLetterQueueOf(queue);
    // Count first: once consuming starts, delivered messages no longer count as ready.
    const total = Math.min(limit, await this.broker.queueLength(source));
    const held: Delivery[] = [];
    if (total === 0) return [];
    let enough!: () => void;
    const reached = new Promise<void>((resolve) => (enough = resolve));
    const consumer = await this.broker.consume([source], (d) => held.push(d) >= total && enough(), {
      prefetch: limit,
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([reached, new Promise((resolve) => (timer = setTimeout(resolve, 2_000)))]);
    clearTimeout(timer);
    await consumer.cancel();
    await Promise.all(held.map((d) => d.reject(true)));
    return held.map((d) => d.message);
  }

  private async takeOne(queue: string): Promise<Delivery | undefined> {
    return new Promise<Delivery | undefined>((resolve) => {
      let done = false;
      const timer = setTimeout(() => finish(undefined), 2_000);
      let cancel: (() => Promise<void>) | undefined;
      const finish = (delivery: Delivery | undefined): void => {
        if (done) {
          if (delivery) void delivery.reject(true);
          return;
        }
        done = true;
        clearTimeout(timer);
        void cancel?.();
        resolve(delivery);
      };
      void this.broker.consume([queue], finish, { prefetch: 1 }).then((c) => {
        cancel = () => c.cancel();
        if (done) void c.cancel();
      });
    });
  }
}
