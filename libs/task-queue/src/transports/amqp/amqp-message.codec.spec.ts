import type { Message } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { createTaskMessage } from '../../protocol/task-message.factory.js';
import {
  BODY_BASE64_HEADER,
  decodeAmqpMessage,
  encodeAmqpMessage,
  notBeforeOf,
} from './amqp-message.codec.js';
import { NOT_BEFORE_HEADER } from './amqp.delay.js';

describe('AMQP message codec', () => {
  const sent = createTaskMessage({ name: 'x.add', args: [2, 3], replyTo: 'oid', priority: 3 });

  it('maps a task message to Celery basic properties with the raw JSON body', () => {
    const { content, options } = encodeAmqpMessage(sent, 7);
    expect(content.toString('utf8')).toBe(sent.body);
    expect(options).toMatchObject({
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      deliveryMode: 2,
      priority: 7,
      correlationId: sent.headers.id,
      replyTo: 'oid',
      headers: sent.headers,
    });
  });

  it('round-trips and strips dead-letter and delay headers on the way in', () => {
    const { content, options } = encodeAmqpMessage(sent, 3, {
      [NOT_BEFORE_HEADER]: '2030-01-01T00:00:00.000Z',
    });
    const raw = {
      content,
      fields: { deliveryTag: 1, redelivered: false, exchange: '', routingKey: 'q' },
      properties: {
        ...options,
        headers: { ...options.headers, 'x-death': [{ count: 1 }], 'x-first-death-queue': 'd' },
      },
    } as unknown as Message;
    expect(notBeforeOf(raw)?.toISOString()).toBe('2030-01-01T00:00:00.000Z');
    const back = decodeAmqpMessage(raw);
    expect(back.headers).toEqual(sent.headers);
    expect(back.properties).toEqual({
      correlation_id: sent.headers.id,
      reply_to: 'oid',
      delivery_mode: 2,
      priority: 3,
    });
    expect(back.body).toBe(sent.body);
  });

  it('never forwards x-death when re-publishing (RabbitMQ would drop it as a dead-letter cycle)', () => {
    const withDeath = { ...sent, headers: { ...sent.headers, 'x-death': [{ count: 1 }] } };
    expect(encodeAmqpMessage(withDeath, 0).options.headers).not.toHaveProperty('x-death');
  });

  it('keeps a body that is not UTF-8 byte for byte through decode and re-publish (dead letters)', () => {
    const bytes = Buffer.from([0xff, 0x00, 0x7b, 0xfe]);
    const raw = {
      content: bytes,
      fields: { deliveryTag: 1, redelivered: false, exchange: '', routingKey: 'q' },
      properties: { headers: {} },
    } as unknown as Message;
    const decoded = decodeAmqpMessage(raw);
    expect(decoded.headers).toHaveProperty(BODY_BASE64_HEADER, true);
    const { content, options } = encodeAmqpMessage(decoded, 0, { reason: 'x' });
    expect(content.equals(bytes)).toBe(true);
    expect(options.headers).toEqual({ reason: 'x' });
    // A UTF-8 body (even with a U+FFFD in it) is text, and a foreign marker header is dropped.
    const text = decodeAmqpMessage({
      ...raw,
      content: Buffer.from('["\uFFFD"]'),
      properties: { headers: { [BODY_BASE64_HEADER]: true } },
    } as unknown as Message);
    expect(text.body).toBe('["\uFFFD"]');
    expect(text.headers).toEqual({});
  });
});
