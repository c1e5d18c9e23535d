import { MemoryResultBackend } from './memory/memory.result-backend.js';
import { ConfigurationError } from '../errors/configuration.error.js';
import type { ResultBackend } from '../contracts/result-backend.interface.js';
import type { TypeOrmIntegrationOptions } from '../config/task-queue-options.interface.js';
import { loadOptionalPeer } from '../utils/load-optional-peer.js';
import { memoryStoreName } from '../utils/shared-by-name.js';
import { celeryFormHint } from '../config/transport-url.check.js';

export interface ResultBackendContext {
  expires: number;
  /** The broker URL, for `rpc://` (results over the AMQP broker). */
  brokerUrl?: string;
  typeorm?: TypeOrmIntegrationOptions;
}

/** Build the result backend of a URL (`memory://`, `redis://`, `rpc://`, `typeorm`), or null when off. */
export async function createResultBackend(
  backend: string | ResultBackend | false,
  context: ResultBackendContext,
): Promise<ResultBackend | null> {
  if (backend === false) return null;
  if (typeof backend !== 'string') return backend;
  const scheme = backend.split(':')[0];
  switch (scheme) {
    case 'memory':
      return new MemoryResultBackend(memoryStoreName(backend), context.expires);
    case 'redis':
    case 'rediss':
    case 'sentinel': {
      const { RedisResultBackend } = await loadOptionalPeer(
        'ioredis',
        `resultBackend "${scheme}://"`,
        () => import('./redis/redis.result-backend.js'),
      );
      return new RedisResultBackend(backend, { expires: context.expires });
    }
    case 'rpc': {
      const url = context.brokerUrl;
      if (!url?.startsWith('amqp')) {
        throw new ConfigurationError(
          `resultBackend 'rpc://' needs an amqp:// broker (got ${url ?? 'an instance'}).`,
        );
      }
      const { RpcResultBackend } = await loadOptionalPeer(
        'amqplib',
        `resultBackend "rpc://"`,
        () => import('./amqp/rpc.result-backend.js'),
      );
      return new RpcResultBackend(url);
    }
    case 'typeorm': {
      if (!context.typeorm)
        throw new ConfigurationError(
          `resultBackend 'typeorm' needs the typeorm.dataSource option.`,
        );
      const { TypeOrmResultBackend } = await loadOptionalPeer(
        'typeorm',
        `resultBackend "typeorm"`,
        () => import('./typeorm/typeorm.result-backend.js'),
      );
      const results = context.typeorm.results ?? {};
      return new TypeOrmResultBackend(context.typeorm.dataSource, {
        expires: context.expires,
        ...(results.cleanupIntervalMs !== undefined && {
          cleanupInterval: results.cleanupIntervalMs,
        }),
        ...(results.pollIntervalMs !== undefined && { pollInterval: results.pollIntervalMs }),
      });
    }
    default:
      throw new ConfigurationError(
        `Unsupported result backend URL "${backend}": use memory://, redis://, rediss://, sentinel://, rpc:// or typeorm${celeryFormHint('resultBackend', backend)}.`,
      );
  }
}
