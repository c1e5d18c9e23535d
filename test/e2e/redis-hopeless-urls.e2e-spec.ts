import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerConnectionError } from '../../libs/task-queue/src/errors/broker-connection.error.js';
import { ResultBackendError } from '../../libs/task-queue/src/errors/result-backend.error.js';
import { RedisBroker } from '../../libs/task-queue/src/transports/redis/redis.broker.js';
import { RedisResultBackend } from '../../libs/task-queue/src/transports/redis/redis.result-backend.js';
import { RedisRevocationStore } from '../../libs/task-queue/src/transports/redis/redis.revocation-store.js';
import { AmqpBroker } from '../../libs/task-queue/src/transports/amqp/amqp.broker.js';
import { freePort, PrivateRedisServer } from '../support/redis-test-server.js';

/**
 * Redis URLs that can never work fail boot at once, naming the URL (password masked), the cause
 * and what to fix, instead of waiting out the connect timeout as for a Redis that is only down.
 * Every wait here is ten minutes, far past the test's timeout: only an early failure passes.
 * A Redis that is down (ECONNREFUSED) is still waited for.
 */
const TEN_MINUTES = 600_000;
let secured: ChildProcess;
let securedPort: number;

beforeAll(async () => {
  securedPort = await freePort();
  secured = spawn(
    'redis-server',
    ['--port', String(securedPort), '--bind', '127.0.0.1', '--save', '', '--requirepass', 's3cret'],
    { stdio: 'ignore' },
  );
  // Until it answers (NOAUTH counts): a broker that connected proves nothing here.
  const probe = new RedisResultBackend(`redis://:s3cret@127.0.0.1:${securedPort}/0`, {
    timeout: 20_000,
  });
  await probe.connect();
  await probe.close();
});
afterAll(() => {
  secured?.kill('SIGKILL');
});

const cases = (): [string, string, string[]][] => [
  [
    'a database the server does not have',
    'redis://127.0.0.1:6379/99',
    ['DB index is out of range', 'Fix the database number'],
  ],
  [
    'PostgreSQL on the port',
    'redis://127.0.0.1:5432/0',
    ['without answering', 'not Redis', 'Redis listens on 6379'],
  ],
  [
    'RabbitMQ on the port',
    'redis://127.0.0.1:5672/0',
    ['does not speak Redis', 'RabbitMQ answers on its AMQP port'],
  ],
  [
    'a wrong password',
    `redis://:wrong@127.0.0.1:${securedPort}/0`,
    ['WRONGPASS', "the URL's password (or user) is wrong"],
  ],
  [
    'no password for a server that requires one',
    `redis://127.0.0.1:${securedPort}/0`,
    ['NOAUTH', 'the server requires a password and the URL gives none'],
  ],
  ['an unknown ACL user', 'redis://nobody:pw@127.0.0.1:6379/0', ['WRONGPASS', 'Fix it in the URL']],
];

describe('Redis URLs that can never work', () => {
  it.each([0, 1, 2, 3, 4, 5])(
    'case %i: the broker fails boot at once, saying what to fix',
    async (i) => {
      const [, url, says] = cases()[i]!;
      const broker = new RedisBroker(url, { publishTimeout: TEN_MINUTES });
      try {
        const error = await broker.connect().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(BrokerConnectionError);
        const message = (error as Error).message;
        expect(message).toContain('Could not connect to Redis at redis://');
        for (const text of says) expect(message).toContain(text);
        expect(message).not.toContain('within');
        expect(message).not.toContain('wrong@');
      } finally {
        await broker.close();
      }
    },
  );

  it.each([0, 1, 3])('case %i: the result backend and the revocation store too', async (i) => {
    const [, url, says] = cases()[i]!;
    const backend = new RedisResultBackend(url, { timeout: TEN_MINUTES });
    const store = new RedisRevocationStore(url, `test-${i}:`, TEN_MINUTES);
    try {
      const failed = await backend.connect().catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(ResultBackendError);
      for (const text of says) expect((failed as Error).message).toContain(text);
      const refused = await store.connect().catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(BrokerConnectionError);
      for (const text of says) expect((refused as Error).message).toContain(text);
    } finally {
      await backend.close();
      await store.close();
    }
  });

  it('a Redis that is down is waited for: boot goes on once it is up', async () => {
    const server = await PrivateRedisServer.start();
    await server.kill();
    const broker = new RedisBroker(server.url, { publishTimeout: TEN_MINUTES });
    try {
      const connected = broker.connect();
      let settled = false;
      void connected.finally(() => (settled = true));
      // Refused connections for a while (several reconnect rounds), and still waiting.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(settled).toBe(false);
      await server.restart();
      await expect(connected).resolves.toBeUndefined();
    } finally {
      await broker.close();
      await server.destroy();
    }
  });
});

describe('amqp:// URL on a port where another server answers', () => {
  it('PostgreSQL closes the handshake: the error says it is not RabbitMQ and which port to use', async () => {
    const broker = new AmqpBroker('amqp://guest:guest@127.0.0.1:5432/');
    try {
      const error = await broker.connect().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BrokerConnectionError);
      const message = (error as Error).message;
      expect(message).toContain('amqp://guest:***@127.0.0.1:5432/');
      expect(message).toContain('most likely not RabbitMQ');
      expect(message).toContain("RabbitMQ's AMQP port is 5672");
    } finally {
      await broker.close().catch(() => undefined);
    }
  });
});
