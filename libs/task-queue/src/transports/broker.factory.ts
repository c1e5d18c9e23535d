import { MemoryBroker } from './memory/memory.broker.js';
import { ConfigurationError } from '../errors/configuration.error.js';
import type { Broker } from '../contracts/broker.interface.js';
import { loadOptionalPeer } from '../utils/load-optional-peer.js';
import { memoryStoreName } from '../utils/shared-by-name.js';
import { celeryFormHint } from '../config/transport-url.check.js';

/**
 * Build the broker of a URL. Transports with optional peer dependencies are imported lazily,
 * so an app on `memory://` needs neither ioredis nor amqplib.
 */
export async function createBroker(broker: string | Broker): Promise<Broker> {
  if (typeof broker !== 'string') return broker;
  const url = new URL(broker);
  switch (url.protocol) {
    case 'memory:':
      return new MemoryBroker(memoryStoreName(broker));
    case 'redis:':
    case 'rediss:':
    case 'sentinel:': {
      const { RedisBroker } = await loadOptionalPeer(
        'ioredis',
        `broker "${url.protocol}//"`,
        () => import('./redis/redis.broker.js'),
      );
      const { parseRedisBrokerUrl } = await import('./redis/redis-url-options.js');
      // kombu transport options may ride on the URL: ?visibility_timeout=60&global_keyprefix=app:
      const { url: redisUrl, options } = parseRedisBrokerUrl(broker);
      return new RedisBroker(redisUrl, options);
    }
    case 'amqp:':
    case 'amqps:': {
      const { AmqpBroker } = await loadOptionalPeer(
        'amqplib',
        `broker "${url.protocol}//"`,
        () => import('./amqp/amqp.broker.js'),
      );
      return new AmqpBroker(broker);
    }
    default:
      throw new ConfigurationError(
        `Unsupported broker URL "${url.protocol}//": use memory://, redis://, rediss://, sentinel://, amqp:// or amqps://${celeryFormHint('broker', broker)}.`,
      );
  }
}
