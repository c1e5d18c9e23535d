import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Test } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerConnectionError, TaskQueueModule } from 'celeriac';
import { AmqpConnection } from 'celeriac/amqp';

// An amqp:// URL whose port is not RabbitMQ's AMQP port (Redis's 6379, the management UI's
// 15672, a silent server) used to make the connect wait for ever: boot hung without a word.

let silent: Server;
let silentPort = 0;
const sockets: Socket[] = [];

beforeAll(async () => {
  silent = createServer((socket) => sockets.push(socket)); // accepts, never answers
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentPort = (silent.address() as AddressInfo).port;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => silent.close(resolve));
});

async function refusal(connection: AmqpConnection): Promise<{ error: unknown; ms: number }> {
  const started = Date.now();
  const error = await connection.open().catch((e: unknown) => e);
  await connection.close();
  return { error, ms: Date.now() - started };
}

describe('an amqp:// URL on a port where nothing speaks AMQP', () => {
  it.each([
    ['Redis (6379)', () => 'amqp://guest:guest@127.0.0.1:6379//'],
    [
      'a server that accepts and stays silent',
      () => `amqp://guest:guest@127.0.0.1:${silentPort}//`,
    ],
  ])('%s: open() fails within connectTimeout, naming the AMQP port to use', async (_, url) => {
    const { error, ms } = await refusal(new AmqpConnection(url(), { connectTimeout: 300 }));
    expect(error).toBeInstanceOf(BrokerConnectionError);
    expect((error as Error).message).toContain('no AMQP handshake within 300 ms');
    expect((error as Error).message).toContain("Check that the URL's port is RabbitMQ's AMQP port");
    expect(ms).toBeLessThan(5_000);
  });

  it('boot of TaskQueueModule fails after the default 10 s instead of hanging', async () => {
    const started = Date.now();
    const boot = await Test.createTestingModule({
      imports: [
        TaskQueueModule.forRoot({
          broker: `amqp://guest:guest@127.0.0.1:${silentPort}//`,
          resultBackend: false,
          events: { enabled: false },
        }),
      ],
    })
      .compile()
      .then((app) => app.init().then(() => app.close()))
      .catch((e: unknown) => e);
    expect(boot).toBeInstanceOf(BrokerConnectionError);
    expect((boot as Error).message).toContain('no AMQP handshake within 10000 ms');
    expect(Date.now() - started).toBeLessThan(15_000);
  }, 30_000);
});
