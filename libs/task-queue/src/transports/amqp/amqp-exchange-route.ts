import type { ChannelModel } from 'amqplib';
import { BrokerConnectionError } from '../../errors/broker-connection.error.js';
import { ConfigurationError } from '../../errors/configuration.error.js';
import { errorText } from '../../utils/error-text.js';
import type { PublishTarget } from './amqp.publisher.js';

/**
 * Publishes to a named exchange with a routing key (Celery's `apply_async(exchange=...,
 * routing_key=...)`), which Celery does not declare: the exchange must exist. It is checked
 * once per connection (a passive declare on a channel of its own, since RabbitMQ closes the
 * channel of a publish to a missing exchange), so a missing one fails the publish with a
 * ConfigurationError instead of a closed channel. The publish is mandatory: a message no
 * queue is bound for is returned and fails, where Celery's would be dropped unseen.
 */
export class AmqpExchangeRoute {
  private readonly checked = new WeakMap<ChannelModel, Set<string>>();

  async target(model: ChannelModel, exchange: string, routingKey: string): Promise<PublishTarget> {
    let known = this.checked.get(model);
    if (!known) this.checked.set(model, (known = new Set()));
    if (!known.has(exchange)) {
      await checkExchange(model, exchange);
      known.add(exchange);
    }
    return {
      exchange,
      routingKey,
      unroutable: () => {
        throw new BrokerConnectionError(
          `RabbitMQ returned a message published to exchange "${exchange}" with routing key ` +
            `"${routingKey}": no queue is bound to it with that key, so it was not stored. ` +
            'Bind a queue (a consumer declaring it, as kombu does) or fix the routing key.',
        );
      },
    };
  }
}

async function checkExchange(model: ChannelModel, exchange: string): Promise<void> {
  const channel = await model.createChannel();
  channel.on('error', () => undefined); // a 404 closes this channel only
  try {
    await channel.checkExchange(exchange);
  } catch (error) {
    if ((error as { code?: unknown }).code !== 404) throw error;
    throw new ConfigurationError(
      `RabbitMQ has no exchange "${exchange}" to publish to (${errorText(error)}). Celery ` +
        'does not declare it either: declare it (with the queues bound to it) first.',
    );
  } finally {
    await channel.close().catch(() => undefined);
  }
}
