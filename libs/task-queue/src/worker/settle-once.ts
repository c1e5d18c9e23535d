import type { Delivery } from '../interfaces/broker.interface.js';

/** A delivery that can be settled once; later ack / reject / defer calls are ignored. */
export interface GuardedDelivery extends Delivery {
  readonly settled: boolean;
}

/**
 * Wrap a delivery so only its first settlement counts. The worker relies on this when it
 * requeues a task at shutdown while the handler is still running: the handler's late ack
 * must not also remove the requeued message.
 */
export function settleOnce(delivery: Delivery): GuardedDelivery {
  let settled = false;
  const once =
    <A extends unknown[]>(fn: (...args: A) => Promise<void>) =>
    async (...args: A): Promise<void> => {
      if (settled) return;
      settled = true;
      await fn(...args);
    };
  return {
    get message() {
      return delivery.message;
    },
    get queue() {
      return delivery.queue;
    },
    get deliveryTag() {
      return delivery.deliveryTag;
    },
    get redelivered() {
      return delivery.redelivered;
    },
    get deliveryInfo() {
      return delivery.deliveryInfo;
    },
    get settled() {
      return settled;
    },
    ack: once(() => delivery.ack()),
    reject: once((requeue: boolean) => delivery.reject(requeue)),
    defer: once((until: Date) => delivery.defer(until)),
    touch: () => (settled ? Promise.resolve() : delivery.touch()),
  };
}
