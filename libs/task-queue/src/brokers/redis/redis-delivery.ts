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
  return {
    message: decoded.message,
    queue,
    deliveryTag: tag,
    redelivered: decoded.redelivered,
    deliveryInfo: {
      exchange: decoded.exchange,
      routingKey: decoded.routingKey,
      priority: decoded.priority,
    },
    ack: async () => {
      if (settler.release(tag)) await settler.ack(tag);
    },
    reject: async (requeue: boolean) => {
      if (!settler.release(tag)) return;
      await (requeue ? settler.requeue(tag) : settler.ack(tag));
    },
    defer: async (until: Date) => {
      if (settler.release(tag)) await settler.defer(tag, until);
    },
    touch: () => settler.touch(tag),
  };
}
