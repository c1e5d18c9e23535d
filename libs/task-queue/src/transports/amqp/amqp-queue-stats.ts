import type { Channel, ChannelModel } from 'amqplib';
import type { QueueStats } from '../../contracts/queue-stats.interface.js';
import { StatsChannelPool } from './amqp-stats-channel.pool.js';

const NOT_FOUND = 404;

/** How long a queue found missing is taken as still missing (unless this process declares it). */
export const MISSING_QUEUE_RECHECK_MS = 30_000;
/** At most this many queues found missing are checked again per read. */
export const MISSING_QUEUE_RECHECKS_PER_READ = 10;
/**
 * Channels the statistics keep open for their passive declares, at most: the checks of a read
 * run on that many channels at once, so a read of N checks waits for about N / 64 round trips.
 */
export const QUEUE_STATS_CHANNELS = 64;

/**
 * Queue statistics over AMQP 0-9-1: a passive `queue.declare` of each queue and of its
 * dead-letter queue. `queue.declare-ok` carries only the ready count and the consumer count, so:
 * - `unacked` is null: AMQP has no per-queue count of delivered, unacked messages (the
 *   management HTTP API has `messages_unacknowledged`, when the plugin is enabled);
 * - `delayed` is null: parked ETA messages wait in the shared delay ladder
 *   (`celeriac.delay.*`), not per target queue;
 * - `oldest` is null: the head of a queue cannot be read without taking it.
 *
 * A channel has one RPC in flight at a time, so the declares are spread over up to
 * {@link QUEUE_STATS_CHANNELS} channels that run at once, and those channels stay open from one
 * read to the next (a {@link StatsChannelPool}): a read of 100 queues and their dead-letter
 * queues (200 declares) waits for about 4 round trips, where 4 channels opened and closed per
 * read took 50 round trips and 8 more RPCs.
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

  private readonly pool: StatsChannelPool;

  constructor(
    private readonly recheckMs = MISSING_QUEUE_RECHECK_MS,
    private readonly rechecksPerRead = MISSING_QUEUE_RECHECKS_PER_READ,
    channels = QUEUE_STATS_CHANNELS,
  ) {
    this.pool = new StatsChannelPool(channels);
  }

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
    // Every queue, then its dead-letter queue; those known missing are not declared.
    const names = queues.flatMap((queue) => [queue, deadLetterQueueOf(queue)]);
    const due = this.dueChecks(names);
    const found: (DeclareOk | null)[] = names.map(() => null);
    const lanes = Math.max(1, Math.min(this.pool.size, due.length));
    const declarers = Array.from({ length: lanes }, () => new PassiveDeclarer(this.pool, model));
    // Channel `lane` declares due[lane], due[lane + lanes], ...; all lanes run at once.
    const read = async (declarer: PassiveDeclarer, lane: number) => {
      for (let i = lane; i < due.length; i += lanes) {
        const at = due[i]!;
        const name = names[at]!;
        const declarations = this.declarations.get(name);
        found[at] = await declarer.check(name);
        if (found[at]) this.missing.delete(name);
        else if (this.declarations.get(name) === declarations) this.missing.set(name, Date.now());
      }
    };
    try {
      const ended = await Promise.allSettled(declarers.map(read));
      const failed = ended.find((e): e is PromiseRejectedResult => e.status === 'rejected');
      if (failed) throw failed.reason;
    } finally {
      for (const declarer of declarers) declarer.release();
    }
    return queues.map((queue, i) => {
      const main = found[2 * i];
      return {
        queue,
        ready: main?.messageCount ?? 0,
        unacked: null,
        delayed: null,
        deadLetters: found[2 * i + 1]?.messageCount ?? 0,
        consumers: main?.consumerCount ?? 0,
        oldest: null,
      };
    });
  }

  /**
   * Indexes of `names` to declare: all but those found missing less than `recheckMs` ago, and
   * at most `rechecksPerRead` of the others found missing.
   */
  private dueChecks(names: string[]): number[] {
    const due: number[] = [];
    let rechecks = this.rechecksPerRead;
    const now = Date.now();
    names.forEach((name, i) => {
      const since = this.missing.get(name);
      if (since !== undefined) {
        if (now - since < this.recheckMs || rechecks === 0) return;
        rechecks -= 1;
      }
      due.push(i);
    });
    return due;
  }
}

/** What a passive declare tells. */
interface DeclareOk {
  messageCount: number;
  consumerCount: number;
}

/** Passive declares on one channel of the pool, replaced after a 404 closed it. */
class PassiveDeclarer {
  private channel: Channel | undefined;

  constructor(
    private readonly pool: StatsChannelPool,
    private readonly model: ChannelModel,
  ) {}

  /** The queue's counts, or null when it does not exist. */
  async check(queue: string): Promise<DeclareOk | null> {
    this.channel ??= await this.pool.take(this.model);
    try {
      return await this.channel.checkQueue(queue);
    } catch (error) {
      this.channel = undefined;
      if ((error as { code?: number }).code === NOT_FOUND) return null;
      throw error;
    }
  }

  /** Give the channel back for the next read. */
  release(): void {
    if (this.channel) this.pool.give(this.model, this.channel);
    this.channel = undefined;
  }
}
