/**
 * What a broker can tell about its queues in one round trip, for metrics and autoscaling
 * (docs/metrics-and-health.md). `null` means the transport cannot know it (RabbitMQ over
 * AMQP has no per-queue unacked count nor a way to peek at the head without taking it).
 * @publicApi
 */
export interface QueueStats {
  readonly queue: string;
  /** Ready messages, every priority band summed, and parked messages whose time has come. */
  readonly ready: number;
  /** Delivered to a consumer and not yet acked (running and prefetched). */
  readonly unacked: number | null;
  /** Parked until an ETA / countdown is due (a parked message already due counts as ready). */
  readonly delayed: number | null;
  /** Messages in the queue's dead-letter queue (`<queue>.dlq`). */
  readonly deadLetters: number | null;
  /** Consumers attached to the queue, when the broker counts them. */
  readonly consumers: number | null;
  /**
   * The oldest ready message: its send time (epoch ms, from the `x-celeriac-sent-at` header)
   * when it carries one, else its task id (a message from a producer that does not stamp),
   * so the caller can track how long that id has been at the head. Null when the queue is
   * empty or the transport cannot peek.
   */
  readonly oldest: { readonly sentAt: number } | { readonly id: string } | null;
}

/**
 * Header Celeriac's brokers stamp on every message they publish: the epoch milliseconds it
 * became ready (published, or due for a parked ETA message). Celery ignores unknown headers.
 * @publicApi
 */
export const SENT_AT_HEADER = 'x-celeriac-sent-at';
