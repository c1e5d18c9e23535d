import type { Channel, ChannelModel } from 'amqplib';
import type { QueueStats } from '../../contracts/queue-stats.interface.js';

const NOT_FOUND = 404;

/** How long a queue found missing is taken as still missing (unless this process declares it). */
export const MISSING_QUEUE_RECHECK_MS = 30_000;
/** At most this many queues found missing are checked again per read. */
export const MISSING_QUEUE_RECHECKS_PER_READ = 10;
/** Channels a read declares on at once (each runs its share of the declares in turn). */
export const QUEUE_STATS_CHANNELS = 4;

/**
 * Queue statistics over AMQP 0-9-1: a passive `queue.declare` of each queue and of its
 * dead-letter queue, on a few channels. `queue.declare-ok` carries only the ready count and the
 * consumer count, so:
 * - `unacked` is null: AMQP has no per-queue count of delivered, unacked messages (the
 *   management HTTP API has `messages_unacknowledged`, when the plugin is enabled);
 * - `delayed` is null: parked ETA messages wait in the shared delay ladder
 *   (`celeriac.delay.*`), not per target queue;
 * - `oldest` is null: the head of a queue cannot be read without taking it.
 * A channel has one RPC in flight at a time, so the declares are spread over
 * {@link QUEUE_STATS_CHANNELS} channels that run at once: a read of N queues waits for about
 * 2N / 4 round trips instead of 2N (100 queues, with their dead-letter queues: 200 declares).
 *
 * A passive declare of a missing queue closes the channel (404), and the next check needs a
 * new one: with dead-letter queues that do not exist yet (declared at the first dead letter),
 * every scrape opened and closed a channel per queue (100 queues: 187 ms and 45 ms of CPU
 * instead of 21 and 10). So a queue found missing counts as empty without a declare for
 * {@link MISSING_QUEUE_RECHECK_MS}, and at most {@link MISSING_QUEUE_RECHECKS_PER_READ} of
 * them are checked again per read; one this process declares (`declared()`) is checked at the
 * next read. A queue another process creates shows up within that delay.
 */
export class AmqpQueueStatsReader {
  /** Queues found missing, with when they were last checked. */
  private readonly missing = new Map<string, number>();
  /** Declarations by this process, per queue (one during a check wins over its 404). */
  private readonly declarations = new Map<string, number>();

  constructor(
    private readonly recheckMs = MISSING_QUEUE_RECHECK_MS,
    private readonly rechecksPerRead = MISSING_QUEUE_RECHECKS_PER_READ,
  ) {}

  /** This process declared `queue`: it exists. */
  declared(queue: string): void {
    this.missing.delete(queue);
    this.declarations.set(queue, (this.declarations.get(queue) ?? 0) + 1);
  }

  /** Queues may have been created or deleted meanwhile (a reconnection): check every one. */
  reset(): void {
    this.missing.clear();
  }

  async read(
    model: ChannelModel,
    queues: string[],
    deadLetterQueueOf: (queue: string) => string,
  ): Promise<QueueStats[]> {
    const lanes = Math.max(1, Math.min(QUEUE_STATS_CHANNELS, queues.length));
    const declarers = Array.from({ length: lanes }, () => new PassiveDeclarer(model));
    let rechecks = this.rechecksPerRead;
    const check = async (declarer: PassiveDeclarer, queue: string) => {
      const since = this.missing.get(queue);
      if (since !== undefined) {
        if (Date.now() - since < this.recheckMs || rechecks === 0) return null;
        rechecks -= 1;
      }
      const declarations = this.declarations.get(queue);
      const found = await declarer.check(queue);
      if (found) this.missing.delete(queue);
      else if (this.declarations.get(queue) === declarations) this.missing.set(queue, Date.now());
      return found;
    };
    const stats: QueueStats[] = new Array<QueueStats>(queues.length);
    // Channel `lane` reads queues lane, lane + lanes, ...; every lane ends before any closes.
    const read = async (declarer: PassiveDeclarer, lane: number) => {
      for (let i = lane; i < queues.length; i += lanes) {
        const queue = queues[i]!;
        const main = await check(declarer, queue);
        const dlq = await check(declarer, deadLetterQueueOf(queue));
        stats[i] = {
          queue,
          ready: main?.messageCount ?? 0,
          unacked: null,
          delayed: null,
          deadLetters: dlq?.messageCount ?? 0,
          consumers: main?.consumerCount ?? 0,
          oldest: null,
        };
      }
    };
    try {
      const ended = await Promise.allSettled(declarers.map(read));
      const failed = ended.find((e): e is PromiseRejectedResult => e.status === 'rejected');
      if (failed) throw failed.reason;
      return stats;
    } finally {
      await Promise.all(declarers.map((declarer) => declarer.close()));
    }
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
