import type { Channel, ChannelModel } from 'amqplib';
import type { QueueStats } from '../../contracts/queue-stats.interface.js';

const NOT_FOUND = 404;

/**
 * Queue statistics over AMQP 0-9-1: a passive `queue.declare` of each queue and of its
 * dead-letter queue, on one channel (a missing queue closes the channel; a new one takes
 * over). `queue.declare-ok` carries only the ready count and the consumer count, so:
 * - `unacked` is null: AMQP has no per-queue count of delivered, unacked messages (the
 *   management HTTP API has `messages_unacknowledged`, when the plugin is enabled);
 * - `delayed` is null: parked ETA messages wait in the shared delay ladder
 *   (`celeriac.delay.*`), not per target queue;
 * - `oldest` is null: the head of a queue cannot be read without taking it.
 * The declares are sequential RPCs on the channel: one round trip per queue and DLQ.
 */
export async function readAmqpQueueStats(
  model: ChannelModel,
  queues: string[],
  deadLetterQueueOf: (queue: string) => string,
): Promise<QueueStats[]> {
  const declarer = new PassiveDeclarer(model);
  try {
    const stats: QueueStats[] = [];
    for (const queue of queues) {
      const main = await declarer.check(queue);
      const dlq = await declarer.check(deadLetterQueueOf(queue));
      stats.push({
        queue,
        ready: main?.messageCount ?? 0,
        unacked: null,
        delayed: null,
        deadLetters: dlq?.messageCount ?? 0,
        consumers: main?.consumerCount ?? 0,
        oldest: null,
      });
    }
    return stats;
  } finally {
    await declarer.close();
  }
}

/** Passive declares on one channel, reopened after a 404 closed it. */
class PassiveDeclarer {
  private channel: Channel | undefined;

  constructor(private readonly model: ChannelModel) {}

  /** The queue's counts, or null when it does not exist. */
  async check(queue: string): Promise<{ messageCount: number; consumerCount: number } | null> {
    this.channel ??= await this.open();
    try {
      return await this.channel.checkQueue(queue);
    } catch (error) {
      this.channel = undefined;
      if ((error as { code?: number }).code === NOT_FOUND) return null;
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.channel?.close().catch(() => undefined);
  }

  private async open(): Promise<Channel> {
    const channel = await this.model.createChannel();
    channel.on('error', () => undefined);
    return channel;
  }
}
