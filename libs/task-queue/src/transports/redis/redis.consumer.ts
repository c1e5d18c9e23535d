import type { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { Consumer, Delivery, DeliveryHandler } from '../../contracts/broker.interface.js';
import type { TickBatcher } from '../../utils/tick-batcher.js';
import type { RedisBrokerScripts } from './redis-broker.scripts.js';
import { SlotList } from '../../utils/slot-list.js';
import { RedisDelivery, type DeliverySettler } from './redis.delivery.js';
import { decodeEnvelope, preview, unreadable } from './redis-envelope.js';
import type { RedisKeyspace } from './redis-keys.js';
import { RedisWaker } from './redis-waker.js';
import { type ListClash, ListClashes } from './redis-list-clashes.js';
import { withTimeout } from '../../utils/with-timeout.js';
import { stalledFor } from './redis-stalls.js';

/** What a consumer shares with its broker. */
export interface RedisConsumerContext {
  /** The command connection (fetches run on it). */
  client: Redis;
  scripts: RedisBrokerScripts;
  keys: RedisKeyspace;
  /** Acks, coalesced per event-loop turn. */
  acks: TickBatcher<string>;
  /** Requeues (reject with requeue), bounded in time; never rejects. */
  requeue(tag: string): Promise<void>;
  logger: Logger;
  batchSize: number;
  wakeTimeout: number;
  /** A new blocking connection for the waker. */
  blockingClient(): Redis;
  /** A message was parked until `dueMs`: make sure promotion runs by then. */
  parked(dueMs: number): void;
  /** Milliseconds `cancel()` waits for a fetch in flight (the broker's publishTimeout). */
  stopTimeoutMs: number;
}

/**
 * One `consume()` subscription: fetches with fetch-2.lua while fewer than `prefetch`
 * deliveries are unsettled (those held until their ETA do not count), and sleeps on a {@link RedisWaker} while its queues are empty.
 * Queues rotate round-robin after each fetch, like kombu's default `queue_order_strategy`.
 */
export class RedisConsumer implements Consumer, DeliverySettler {
  private readonly unsettled = new SlotList<RedisDelivery>();
  /** Unsettled deliveries held until their ETA: they do not count against `prefetch`. */
  private heldCount = 0;
  private readonly waker: RedisWaker;
  private readonly clashes: ListClashes;
  /** Queues in fetch order, and their [list key, queue] pairs (rebuilt when it rotates). */
  private order: string[] = [];
  private lists: [string, string][] = [];
  private running = true;
  /** The fetch loop while it runs (one at a time). */
  private loop: Promise<void> | null = null;
  private again = false;
  private pumpScheduled = false;

  constructor(
    queues: string[],
    private readonly handler: DeliveryHandler,
    private readonly prefetch: number,
    private readonly ctx: RedisConsumerContext,
  ) {
    this.setOrder([...new Set(queues)]);
    const keys = this.order.flatMap((q) => ctx.keys.listKeys(q));
    this.waker = new RedisWaker(keys, () => ctx.blockingClient(), ctx.wakeTimeout);
    this.clashes = new ListClashes(ctx.logger);
  }

  /** Start fetching. */
  start(): void {
    this.pump();
  }

  /**
   * Stop fetching. Resolves once a fetch that was on its way has come back and what it took is
   * on its queue again (it is not handed to the handler): left in `unacked`, it would wait the
   * visibility timeout with no worker owning it. The wait is bounded by `stopTimeoutMs`, and
   * skipped while the server is stalled (answerWithin); a reply after that is given
   * back when it comes, or by the visibility timeout.
   */
  async cancel(): Promise<void> {
    this.running = false;
    this.waker.stop();
    if (!this.loop) return;
    const ms = this.ctx.stopTimeoutMs;
    // A stalled server answers this fetch only after the command it left unanswered.
    const stalled = stalledFor(this.ctx.client);
    const wait =
      stalled === undefined
        ? withTimeout(this.loop, ms, () => new Error(`no reply within ${ms} ms`))
        : Promise.reject(
            new Error(`Redis has not answered a command sent ${Math.round(stalled / 1000)} s ago`),
          );
    await wait.catch((error: Error) =>
      this.ctx.logger.warn(
        `Stopped consuming ${this.order.join(', ')} with a fetch unanswered (${error.message}). ` +
          `What it takes goes back to its queue when Redis answers, or after the visibility timeout.`,
      ),
    );
  }

  /** Tags this consumer holds, unsettled. */
  get tags(): string[] {
    return this.unsettled.values().map((delivery) => delivery.deliveryTag);
  }

  /** Forget every unsettled delivery (the broker gives them back); returns their tags. */
  releaseAll(): string[] {
    this.heldCount = 0;
    return this.unsettled.clear().map((delivery) => delivery.deliveryTag);
  }

  release(delivery: RedisDelivery): boolean {
    if (!this.unsettled.remove(delivery)) return false;
    if (delivery.held) {
      delivery.held = false;
      this.heldCount--;
    }
    this.schedulePump();
    return true;
  }

  setHeld(delivery: RedisDelivery, held: boolean): void {
    if (delivery.held === held || !this.unsettled.has(delivery)) return;
    delivery.held = held;
    this.heldCount += held ? 1 : -1;
    if (held) this.schedulePump();
  }

  /** One pump for every release of this turn (a microtask each would cost an async resource). */
  private schedulePump(): void {
    if (this.running && !this.pumpScheduled) {
      this.pumpScheduled = true;
      queueMicrotask(() => {
        this.pumpScheduled = false;
        this.pump();
      });
    }
  }

  ack(tag: string): Promise<void> {
    return this.ctx.acks.add(tag);
  }

  requeue(tag: string): Promise<void> {
    return this.ctx.requeue(tag);
  }

  async defer(tag: string, until: Date): Promise<void> {
    const due = until.getTime();
    if (await this.ctx.scripts.defer(tag, due)) this.ctx.parked(due);
  }

  async touch(delivery: RedisDelivery): Promise<void> {
    if (this.unsettled.has(delivery)) {
      await this.ctx.scripts.touch([delivery.deliveryTag], Date.now() / 1000);
    }
  }

  private pump(): void {
    if (this.loop) {
      this.again = true;
      return;
    }
    this.loop = this.fetchWhileFree().finally(() => (this.loop = null));
  }

  private async fetchWhileFree(): Promise<void> {
    while (this.running) {
      this.again = false;
      const free = this.prefetch - (this.unsettled.size - this.heldCount);
      if (free <= 0) return;
      const got = await this.fetch(Math.min(free, this.ctx.batchSize));
      if (got === 0 && !this.again && this.running) await this.waker.wait();
    }
  }

  /** One fetch-2.lua call; hands the deliveries to the handler. Returns how many it took. */
  private async fetch(max: number): Promise<number> {
    const lists = this.lists;
    let entries;
    try {
      entries = await this.ctx.scripts.fetch(lists, max, Date.now() / 1000);
    } catch (error) {
      if (!this.running) return 0;
      this.ctx.logger.error(
        `Fetching from ${this.order.join(', ')} failed: ${(error as Error).message}. Retrying in 1 s.`,
      );
      await new Promise((resolve) => setTimeout(resolve, 1000).unref());
      return 0;
    }
    const served: string[] = [];
    const deliveries: Delivery[] = [];
    const clashes: ListClash[] = [];
    for (const entry of entries) {
      const [key, queue] = lists[entry.pairIndex]!;
      if (entry.notAList) {
        clashes.push({ key, queue, type: entry.envelope });
        continue;
      }
      if (!served.includes(queue)) served.push(queue);
      const delivery = this.accept(queue, entry.tag, entry.envelope);
      if (delivery) deliveries.push(delivery);
    }
    // Queues served go last (round-robin); a single queue keeps its order and its pairs.
    if (served.length > 0 && this.order.length > 1) {
      this.setOrder([...this.order.filter((q) => !served.includes(q)), ...served]);
    }
    // Cancelled while this fetch was on its way: give back what it took, hand over nothing.
    if (!this.running) {
      await Promise.all(deliveries.map((delivery) => delivery.reject(true)));
      return 0;
    }
    // Handed over once the whole batch is recorded, each on its own: a throwing handler
    // affects no other delivery.
    for (const delivery of deliveries) {
      try {
        this.handler(delivery);
      } catch (error) {
        this.ctx.logger.error(
          `The delivery handler threw for message ${delivery.deliveryTag}: ${(error as Error).message}`,
        );
      }
    }
    const taken = entries.length - clashes.length;
    this.clashes.update(clashes, taken < max);
    return taken;
  }

  /** Fetch from `order`: list pairs priority step major, queue minor, like kombu's BRPOP. */
  private setOrder(order: string[]): void {
    const byQueue = order.map((queue) => this.ctx.keys.listKeys(queue));
    const lists: [string, string][] = [];
    for (let band = 0; band < (byQueue[0]?.length ?? 0); band++) {
      order.forEach((queue, i) => lists.push([byQueue[i]![band]!, queue]));
    }
    this.order = order;
    this.lists = lists;
  }

  /** Record one fetched entry as unsettled and build its delivery; null when unreadable. */
  private accept(queue: string, tag: string, envelope: string): Delivery | null {
    if (!tag) {
      this.ctx.logger.error(
        `Queue "${queue}" held ${unreadable(envelope, queue)}; it was moved to ` +
          `"${this.ctx.keys.invalid}" (LRANGE it to inspect). Entry: ${preview(envelope)}`,
      );
      return null;
    }
    let decoded;
    try {
      decoded = decodeEnvelope(envelope, queue);
    } catch (error) {
      this.ctx.logger.error(
        `Message ${tag} from "${queue}" cannot be read (${(error as Error).message}); it was ` +
          `moved to "${this.ctx.keys.invalid}" (LRANGE it to inspect).`,
      );
      this.ctx.scripts
        .quarantine([tag])
        .catch((e: Error) =>
          this.ctx.logger.warn(
            `Could not move message ${tag} aside (${e.message}); it stays unacked and comes back after the visibility timeout.`,
          ),
        );
      return null;
    }
    const delivery = new RedisDelivery(queue, tag, decoded, this);
    this.unsettled.add(delivery);
    return delivery;
  }
}
