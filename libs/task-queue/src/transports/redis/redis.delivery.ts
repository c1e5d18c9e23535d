import type { Delivery } from '../../contracts/broker.interface.js';
import type { Slotted } from '../../utils/slot-list.js';
import type { DecodedEnvelope } from './redis-envelope.js';

/** What a delivery needs from its consumer to settle itself. */
export interface DeliverySettler {
  /** Forget the delivery locally; false when it was settled already (settle exactly once). */
  release(delivery: RedisDelivery): boolean;
  ack(tag: string): Promise<void>;
  requeue(tag: string): Promise<void>;
  defer(tag: string, until: Date): Promise<void>;
  touch(delivery: RedisDelivery): Promise<void>;
  /** The delivery is held until its ETA (true) or released (false): see Delivery.setHeld. */
  setHeld(delivery: RedisDelivery, held: boolean): void;
}

/**
 * A class rather than an object of closures: one allocation per delivery on the hot path. Its
 * consumer keeps it on a SlotList while it is unsettled. Settling it changes kombu's `unacked` /
 * `unacked_index` atomically.
 */
export class RedisDelivery implements Delivery, Slotted {
  slot = -1;
  /** Held until its ETA: not counted against the consumer's prefetch (see setHeld). */
  held = false;
  readonly message: DecodedEnvelope['message'];
  readonly redelivered: boolean;
  readonly deliveryInfo: Delivery['deliveryInfo'];

  constructor(
    readonly queue: string,
    readonly deliveryTag: string,
    decoded: DecodedEnvelope,
    private readonly settler: DeliverySettler,
  ) {
    this.message = decoded.message;
    this.redelivered = decoded.redelivered;
    this.deliveryInfo = {
      exchange: decoded.exchange,
      routingKey: decoded.routingKey,
      priority: decoded.priority,
    };
  }

  /** Not `async`: the hot path saves a promise layer (release() and ack() do not throw). */
  ack(): Promise<void> {
    return this.settler.release(this) ? this.settler.ack(this.deliveryTag) : Promise.resolve();
  }

  async reject(requeue: boolean): Promise<void> {
    if (!this.settler.release(this)) return;
    await (requeue ? this.settler.requeue(this.deliveryTag) : this.settler.ack(this.deliveryTag));
  }

  async defer(until: Date): Promise<void> {
    if (this.settler.release(this)) await this.settler.defer(this.deliveryTag, until);
  }

  touch(): Promise<void> {
    return this.settler.touch(this);
  }

  setHeld(held: boolean): void {
    this.settler.setHeld(this, held);
  }
}
