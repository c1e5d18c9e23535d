import { randomUUID } from 'node:crypto';
import type { PublishOptions } from '../../contracts/broker.interface.js';
import type { TaskMessage } from '../../contracts/task-message.interface.js';
import { BrokerConnectionError } from '../../errors/broker-connection.error.js';
import { TaskQueueError } from '../../errors/task-queue.error.js';
import { encodeEnvelope } from './redis-envelope.js';
import type { RedisKeyspace } from './redis-keys.js';
import type { RedisPublisher } from './redis.publisher.js';

/** What a publish to a named exchange needs of the broker. */
export interface RoutedPublishTarget {
  keys: RedisKeyspace;
  publisher: RedisPublisher;
  /** The members of `_kombu.binding.<exchange>`, under the broker's guard. */
  members(exchange: string, what: string): Promise<string[]>;
  /** Whether the broker was closed meanwhile. */
  closed(): boolean;
}

/**
 * kombu's `basic_publish` to a named exchange (`options.exchange` with `options.routingKey`):
 * the envelope, whose `delivery_info` names that exchange and routing key, goes to every queue
 * bound to the exchange with that key in `_kombu.binding.<exchange>`; `options.queue` is
 * declared (its own binding), as Celery declares the queue it routed to. kombu drops a message
 * no queue is bound for (without a `deadletter_queue`); this throws instead, nothing stored.
 */
export async function publishRouted(
  target: RoutedPublishTarget,
  message: TaskMessage,
  options: PublishOptions,
  priority: number,
): Promise<void> {
  const exchange = options.exchange ?? '';
  const routingKey = options.routingKey ?? '';
  const { keys, publisher } = target;
  const members = await target.members(
    exchange,
    `publish task ${message.headers.id} to exchange "${exchange}"`,
  );
  const queues = keys.boundQueues(members, routingKey);
  if (queues.length === 0) {
    throw new TaskQueueError(
      `No queue is bound to exchange "${exchange}" with routing key "${routingKey}" ` +
        `(${keys.bindingKey(exchange)}), so task ${message.headers.id} was not stored (kombu ` +
        'would drop it). Bind a queue (a consumer declaring it, as kombu does) or fix the key.',
    );
  }
  const envelope = encodeEnvelope(message, {
    exchange,
    routingKey,
    priority,
    deliveryTag: randomUUID(),
    sentAt: Date.now(),
  });
  if (target.closed()) throw new BrokerConnectionError(`Could not publish: the broker is closed.`);
  const declare = {
    bindingKey: keys.bindingKey(options.queue),
    bindingMember: keys.bindingMember(options.queue, options.queue),
  };
  await Promise.all(
    queues.map((queue) =>
      publisher.publish({ ...declare, listKey: keys.listKey(queue, priority), envelope }),
    ),
  );
}
