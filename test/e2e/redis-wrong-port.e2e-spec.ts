import { expect, it } from 'vitest';
import { BrokerConnectionError } from 'celeriac';
import { RedisBroker } from 'celeriac/redis';

// A redis:// URL on RabbitMQ's AMQP port: ioredis reads "AMQP..." as a reply and reports
// 'Protocol error, got "A" as reply type byte. Please report this.', which sent users to file
// a bug instead of fixing the port.

it('a redis:// URL on RabbitMQ’s port fails boot saying the server there is not Redis and which port to use', async () => {
  const broker = new RedisBroker('redis://127.0.0.1:5672/0', { publishTimeout: 1_500 });
  try {
    const error = await broker.connect().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BrokerConnectionError);
    const message = (error as Error).message;
    expect(message).toContain('the server there does not speak Redis');
    expect(message).toContain('as RabbitMQ answers on its AMQP port');
    expect(message).toContain('Redis listens on 6379 by default');
    expect(message).not.toContain('Please report this');
  } finally {
    await broker.close();
  }
});
