import { randomUUID } from 'node:crypto';
import { connect } from 'amqplib';
import { afterAll, describe, expect, it } from 'vitest';
import { AmqpBroker } from 'celeriac/amqp';
import { BrokerConnectionError, MessageTooLargeError, PublishOutcomeUnknownError } from 'celeriac';
import { createTaskMessage } from 'celeriac/protocol';
import { usePrivateVhost } from '../support/amqp-vhost.js';

/**
 * RabbitMQ refuses a message above its max_message_size (128 MiB on 3.x, 16 MiB on 4.x) by
 * closing the channel with 406 PRECONDITION_FAILED. The producer used to report it as
 * PublishOutcomeUnknownError ("its channel closed before RabbitMQ confirmed it (channel
 * closed). RabbitMQ may have stored it ... Retry with the same task id"): the reason was lost
 * and the advice was wrong, as a retry fails the same way. It is now a definite refusal that
 * names the size and the limit. Slow: the message is 129 MiB.
 */
const vhost = usePrivateVhost('celeriac-too-large');
const opened: AmqpBroker[] = [];

afterAll(async () => {
  for (const broker of opened) await broker.close().catch(() => undefined);
});

describe('a message larger than RabbitMQ max_message_size', () => {
  it('fails with the size and the limit, nothing stored; the next publish goes through', async () => {
    const queue = `too-large-${randomUUID()}`;
    const broker = new AmqpBroker(vhost.url);
    opened.push(broker);
    const huge = createTaskMessage({ name: 'big.task', args: ['x'.repeat(129 * 2 ** 20)] });

    const refused = await broker.publish(huge, { queue }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(BrokerConnectionError);
    expect(refused).toBeInstanceOf(MessageTooLargeError);
    expect(refused).not.toBeInstanceOf(PublishOutcomeUnknownError);
    expect((refused as Error).message).toMatch(
      new RegExp(
        `refused a message of \\d+ bytes for "${queue}".*max_message_size \\(\\d+ bytes\\)`,
      ),
    );

    await broker.publish(createTaskMessage({ name: 'big.task', args: ['small'] }), { queue });
    const model = await connect(vhost.url);
    try {
      const channel = await model.createChannel();
      expect((await channel.checkQueue(queue)).messageCount).toBe(1);
    } finally {
      await model.close();
    }
  });
});
