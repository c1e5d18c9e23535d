import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  defineLuaCommands,
  type LuaCommand,
} from '../../libs/task-queue/src/transports/redis/redis-lua.loader.js';
import { PrivateRedisServer, REDIS_URL } from '../support/redis-test-server.js';

/**
 * Scripts whose text is new to Redis (a uuid in a comment), so the first call must take the
 * NOSCRIPT → EVAL path on the shared server without flushing anybody's script cache.
 */
describe('Lua commands (EVALSHA, EVAL when Redis lacks the script)', () => {
  const tag = randomUUID();
  const prefix = `celeriac-lua-${tag}`;
  let dir: string;
  let redis: Redis;

  const write = (file: string, body: string): void =>
    writeFileSync(join(dir, file), `-- ${tag}\n${body}\n`);
  const define = (client: Redis, ...files: string[]): Record<string, LuaCommand> =>
    defineLuaCommands(client, pathToFileURL(`${dir}/`), files);

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'celeriac-lua-'));
    write('pair-1.lua', "return { KEYS[1], ARGV[1], redis.call('INCR', KEYS[1]) }");
    write('count-n.lua', 'return #KEYS * 100 + #ARGV');
    write(
      'boom-1.lua',
      "redis.call('INCR', KEYS[1])\nreturn redis.error_reply('boom: ' .. ARGV[1])",
    );
    redis = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    await redis.del(`${prefix}:pair`, `${prefix}:boom`);
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs a script Redis has never seen, caches it, and runs it by digest afterwards', async () => {
    const { pair } = define(redis, 'pair-1.lua');
    // The digest of the file's text, computed by Redis (SCRIPT LOAD would cache the script).
    const text = `-- ${tag}\nreturn { KEYS[1], ARGV[1], redis.call('INCR', KEYS[1]) }\n`;
    const digest = (await redis.eval('return redis.sha1hex(ARGV[1])', 0, text)) as string;
    expect(await redis.script('EXISTS', digest)).toEqual([0]);
    expect(await pair!(`${prefix}:pair`, 'a')).toEqual([`${prefix}:pair`, 'a', 1]);
    expect(await redis.script('EXISTS', digest)).toEqual([1]);
    expect(await pair!(`${prefix}:pair`, 'b')).toEqual([`${prefix}:pair`, 'b', 2]);
  });

  it('passes the key count first for -n scripts, and replies with Buffers when asked', async () => {
    const commands = define(redis, 'count-n.lua', 'pair-1.lua');
    expect(await commands.count!(2, 'k1', 'k2', 'a', 'b', 'c')).toBe(203);
    expect(await commands.count!(0, 'a')).toBe(1);
    const reply = (await commands.pairBuffer!(`${prefix}:pair`, 'x')) as [Buffer, Buffer, number];
    expect(Buffer.isBuffer(reply[0]) && Buffer.isBuffer(reply[1])).toBe(true);
    expect(reply[1].toString()).toBe('x');
  });

  it('returns a script error as it is, without running the script a second time', async () => {
    const { boom } = define(redis, 'boom-1.lua');
    await expect(boom!(`${prefix}:boom`, 'first')).rejects.toThrow('boom: first');
    expect(await redis.get(`${prefix}:boom`)).toBe('1');
    await expect(boom!(`${prefix}:boom`, 'second')).rejects.toThrow('boom: second');
    expect(await redis.get(`${prefix}:boom`)).toBe('2');
  });

  it('keeps working after Redis restarts with an empty script cache', async () => {
    const server = await PrivateRedisServer.start();
    const client = new Redis(server.url, { maxRetriesPerRequest: null });
    try {
      const { pair } = define(client, 'pair-1.lua');
      expect(await pair!('k', 'before')).toEqual(['k', 'before', 1]);
      await server.kill();
      await server.restart();
      // The server lost its data and its scripts: EVALSHA gets NOSCRIPT, EVAL runs it.
      expect(await pair!('k', 'after')).toEqual(['k', 'after', 1]);
    } finally {
      client.disconnect();
      await server.destroy();
    }
  });
});
