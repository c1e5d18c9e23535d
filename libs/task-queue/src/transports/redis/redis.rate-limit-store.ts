import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { createRedisClient } from './redis.connection.js';
import { defineLuaCommands, type LuaCommand } from './redis-lua.loader.js';
import type { RateLimitStore } from '../../contracts/rate-limit-store.interface.js';

const COMMANDS = new URL('./commands/', import.meta.url);

/** Cluster-wide start slots in Redis: one atomic script call per started task. */
export class RedisRateLimitStore implements RateLimitStore {
  private readonly client: Redis;
  private readonly reserveSlot: LuaCommand;

  constructor(
    url: string,
    private readonly keyPrefix = 'celeriac:',
  ) {
    this.client = createRedisClient(url, 'rate-limit', new Logger('RateLimit'));
    this.reserveSlot = defineLuaCommands(this.client, COMMANDS, ['reserveSlot-1.lua']).reserveSlot!;
  }

  async reserve(key: string, intervalMs: number): Promise<number> {
    return Number(
      await this.reserveSlot(`${this.keyPrefix}ratelimit:${key}`, Math.ceil(intervalMs)),
    );
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }
}
