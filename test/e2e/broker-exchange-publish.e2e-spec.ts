import { randomUUID } from 'node:crypto';
import { connect } from 'amqplib';
import { BrokerConnectionError, ConfigurationError, TaskQueueError } from 'celeriac';
import { AmqpBroker } from 'celeriac/amqp';
import { createTaskMessage } from 'celeriac/protocol';
import { RedisBroker } from 'celeriac/redis';
import { afterAll, describe, expect, it } from 'vitest';
import { usePrivateVhost } from '../support/amqp-vhost.js';
import { deleteKeys, REDIS_URL } from '../support/redis-test-server.js';

// A publish to a named exchange with a routing key (Celery's apply_async(exchange=...,
// routing_key=...)) that no queue takes fails, nothing stored, where Celery would drop the
// message unseen: a missing exchange on RabbitMQ, no queue bound with that key on either.

const vhost = usePrivateVhost('celeriac-exchange-publish');
const tag = `xpub-${randomUUID().slice(0, 8)}`;
const message = () => createTaskMessage({ name: 'xpub.task', args: [] });

afterAll(async () => {
  await deleteKeys(REDIS_URL, `_kombu.binding.${tag}`, tag);
});

describe('publishing to an exchange no queue takes', () => {
  it('fails on RabbitMQ: a missing exchange, and a key no queue is bound with', async () => {
    const broker = new AmqpBroker(vhost.url, { publishTimeout: 5_000 });
    const admin = await connect(vhost.url);
    try {
      await broker.connect();
      const missing = broker.publish(message(), {
        queue: `${tag}-q`,
        exchange: `${tag}-missing`,
        routingKey: 'k',
      });
      await expect(missing).rejects.toThrow(ConfigurationError);
      await expect(missing).rejects.toThrow(/no exchange "xpub-.*-missing"/);
      const channel = await admin.createChannel();
      await channel.assertExchange(`${tag}-ex`, 'direct', { durable: true });
      const unbound = broker.publish(message(), {
        queue: `${tag}-q`,
        exchange: `${tag}-ex`,
        routingKey: 'nobody',
      });
      await expect(unbound).rejects.toThrow(BrokerConnectionError);
      await expect(unbound).rejects.toThrow(/no queue is bound to it with that key/);
    } finally {
      await broker.close();
      await admin.close();
    }
  });

  it('fails on Redis when no queue is bound to the exchange with that key', async () => {
    const broker = new RedisBroker(REDIS_URL);
    try {
      await broker.bindDirect(`${tag}-bound`, `${tag}-ex`, 'other');
      const unbound = broker.publish(message(), {
        queue: `${tag}-q`,
        exchange: `${tag}-ex`,
        routingKey: 'nobody',
      });
      await expect(unbound).rejects.toThrow(TaskQueueError);
      await expect(unbound).rejects.toThrow(/No queue is bound to exchange/);
      expect(await broker.queueLength(`${tag}-bound`)).toBe(0);
    } finally {
      await broker.close();
    }
  });
});
