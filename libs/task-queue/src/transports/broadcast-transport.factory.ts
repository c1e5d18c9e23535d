import type { Broker } from '../contracts/broker.interface.js';
import { ConfigurationError } from '../errors/configuration.error.js';
import type { BroadcastTransport } from '../contracts/broadcast-transport.interface.js';
import { MemoryBroadcastTransport } from './memory/memory-broadcast.transport.js';
import { loadOptionalPeer } from '../utils/load-optional-peer.js';
import { memoryStoreName } from '../utils/shared-by-name.js';

/**
 * The broadcast transport of a broker URL or broker instance: Redis pub/sub for `redis://`,
 * RabbitMQ exchanges for `amqp://` (sharing `AmqpBroker.connection` when given the broker),
 * an in-process bus for `memory://`. Transports with optional peer dependencies are imported
 * lazily.
 * @publicApi
 */
export async function createBroadcastTransport(
  broker: string | Broker,
): Promise<BroadcastTransport> {
  if (typeof broker === 'string') return fromUrl(broker);
  if (broker.wrapped) return createBroadcastTransport(broker.wrapped);
  if (broker.transport === 'amqp' && 'connection' in broker) {
    const { AmqpConnection } = await import('./amqp/amqp.connection.js');
    const { AmqpBroadcastTransport } = await import('./amqp/amqp-broadcast.transport.js');
    if (broker.connection instanceof AmqpConnection) {
      return new AmqpBroadcastTransport(broker.connection);
    }
  }
  if (broker.transport === 'redis' && 'url' in broker && typeof broker.url === 'string') {
    // NOTE: RedisBroker keeps its URL and kombu options private; read them defensively so
    // events and control use the same database and key prefix as the broker.
    const options = 'options' in broker ? (broker.options as Record<string, unknown>) : {};
    const { RedisBroadcastTransport } = await import('./redis/redis-broadcast.transport.js');
    return new RedisBroadcastTransport({
      url: broker.url,
      globalKeyprefix: typeof options.globalKeyprefix === 'string' ? options.globalKeyprefix : '',
      sep: typeof options.sep === 'string' ? options.sep : undefined,
      prioritySteps: Array.isArray(options.prioritySteps)
        ? (options.prioritySteps as number[])
        : undefined,
    });
  }
  if (broker.transport === 'memory') return new MemoryBroadcastTransport();
  throw new ConfigurationError(
    `Celery events and remote control do not support the "${broker.transport}" broker instance. ` +
      `Pass a redis://, amqp:// or memory:// URL, or a RedisBroker / AmqpBroker / MemoryBroker.`,
  );
}

async function fromUrl(url: string): Promise<BroadcastTransport> {
  const protocol = new URL(url).protocol;
  switch (protocol) {
    case 'redis:':
    case 'rediss:':
    case 'sentinel:': {
      const { RedisBroadcastTransport } = await loadOptionalPeer(
        'ioredis',
        `Celery events and remote control on "${protocol}//"`,
        () => import('./redis/redis-broadcast.transport.js'),
      );
      // The kombu options of the URL, as the broker reads them: with ?global_keyprefix=, the
      // pidbox and celeryev channels and the reply lists are prefixed too (kombu does).
      const { parseRedisBrokerUrl } = await import('./redis/redis-url-options.js');
      const parsed = parseRedisBrokerUrl(url);
      return new RedisBroadcastTransport({
        url: parsed.url,
        globalKeyprefix: parsed.options.globalKeyprefix ?? '',
        sep: parsed.options.sep,
        prioritySteps: parsed.options.prioritySteps,
      });
    }
    case 'amqp:':
    case 'amqps:': {
      const { AmqpBroadcastTransport } = await loadOptionalPeer(
        'amqplib',
        `Celery events and remote control on "${protocol}//"`,
        () => import('./amqp/amqp-broadcast.transport.js'),
      );
      return new AmqpBroadcastTransport(url);
    }
    case 'memory:':
      return new MemoryBroadcastTransport(memoryStoreName(url));
    default:
      throw new ConfigurationError(
        `Celery events and remote control need a redis://, amqp:// or memory:// broker URL, got "${protocol}//".`,
      );
  }
}
