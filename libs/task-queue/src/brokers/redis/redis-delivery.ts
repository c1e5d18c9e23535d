import type { Delivery } from '../../interfaces/broker.interface.js';
import type { DecodedEnvelope } from './redis-envelope.js';

/** What a delivery needs from its consumer to settle itself. */
export interface DeliverySettler {
  /** Forget the tag locally; false when it was settled already (settle exactly once). */
  release(tag: string): boolean;
  ack(tag: string): Promise<void>;
  requeue(tag: string): Promise<void>;
  defer(tag: string, until: Date): Promise<void>;
  touch(tag: string): Promise<void>;
}

/** A Redis delivery: settling it changes kombu's `unacked` / `unacked_index` atomically. */
export function createRedisDelivery(
  queue: string,
  tag: string,
  decoded: DecodedEnvelope,
  settler: DeliverySettler,
): Delivery {
  return new RedisDelivery(queue, tag, decoded, settler);
}

/** A class rather than an object of closures: one allocation per delivery on the hot path. */
class RedisDelivery implements Delivery {
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
    return this.settler.release(this.deliveryTag)
      ? this.settler.ack(this.deliveryTag)
      : Promise.resolve();
  }

  async reject(requeue: boolean): Promise<void> {
    if (!this.settler.release(this.deliveryTag)) return;
    await (requeue ? this.settler.requeue(this.deliveryTag) : this.settler.ack(this.deliveryTag));
  }

  async defer(until: Date): Promise<void> {
    if (this.settler.release(this.deliveryTag)) await this.settler.defer(this.deliveryTag, until);
  }

  touch(): Promise<void> {
    return this.settler.touch(this.deliveryTag);
  }
}
