import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../__fixtures__/create-app.js';
import { ConfigurationError } from '../../errors/configuration.error.js';
import { createTaskMessage } from '../../protocol/task-message.factory.js';
import { MemoryBroker } from '../../transports/memory/memory.broker.js';

/**
 * A `worker.http` port another process holds fails the boot with an error that names the
 * option and the fix, before the worker takes anything from its queues (it used to crash with
 * Node's bare EADDRINUSE after the worker had started consuming).
 */
const busy = createServer();
afterEach(() => new Promise<void>((resolve) => busy.close(() => resolve())));

describe('worker.http on a port in use', () => {
  it('fails the boot with a ConfigurationError before the worker consumes', async () => {
    busy.listen(0, '127.0.0.1');
    await once(busy, 'listening');
    const { port } = busy.address() as { port: number };
    const name = randomUUID();
    const producer = new MemoryBroker(name);
    await producer.connect();
    await producer.publish(createTaskMessage({ name: 'orders.process', args: [1] }), {
      queue: 'celery',
    });

    const error = await createApp({
      broker: `memory://${name}`,
      worker: { http: { port, host: '127.0.0.1' } },
    }).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error?.message).toContain(`worker.http: 127.0.0.1:${port} is already in use`);
    expect(error?.message).toContain('its own worker.http port');
    const [stats] = await producer.queueStats!(['celery']);
    expect(stats).toMatchObject({ ready: 1, unacked: 0 });
    await producer.close();
  });
});
