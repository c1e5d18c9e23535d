import type { Channel, Message } from 'amqplib';
import { describe, expect, it, vi } from 'vitest';
import { AmqpAckCoalescer } from './amqp-ack.coalescer.js';

/** What the coalescer sent, as `ack <tag>`, `ack ≤<tag>` (multiple) or `reject <tag>`. */
function recordingChannel(): { channel: Channel; sent: string[] } {
  const sent: string[] = [];
  const channel = {
    ack: (m: Message, allUpTo?: boolean) =>
      sent.push(`ack ${allUpTo ? '≤' : ''}${m.fields.deliveryTag}`),
    reject: (m: Message, requeue?: boolean) =>
      sent.push(`reject ${m.fields.deliveryTag}${requeue ? ' requeue' : ''}`),
  } as unknown as Channel;
  return { channel, sent };
}

const message = (tag: number): Message => ({ fields: { deliveryTag: tag } }) as Message;

function received(coalescer: AmqpAckCoalescer, tags: number[]): Message[] {
  const messages = tags.map(message);
  for (const m of messages) coalescer.received(m);
  return messages;
}

describe('AmqpAckCoalescer', () => {
  it('acks a burst below the oldest unsettled delivery with one multiple ack', () => {
    const { channel, sent } = recordingChannel();
    const acks = new AmqpAckCoalescer(channel, () => undefined);
    const [m1, m2, m3] = received(acks, [1, 2, 3, 4]);
    acks.ack(m2!);
    acks.ack(m1!);
    acks.ack(m3!);
    expect(sent).toEqual([]);
    acks.flush();
    expect(sent).toEqual(['ack ≤3']);
  });

  it('never covers a delivery still unsettled: later acks go one by one', () => {
    const { channel, sent } = recordingChannel();
    const acks = new AmqpAckCoalescer(channel, () => undefined);
    const [m1, , m3, m4] = received(acks, [1, 2, 3, 4]);
    acks.ack(m1!);
    acks.ack(m4!);
    acks.ack(m3!);
    acks.flush();
    expect(sent).toEqual(['ack 4', 'ack 3', 'ack ≤1']);
  });

  it('rejects at once, and a rejected delivery no longer holds back the acks after it', () => {
    const { channel, sent } = recordingChannel();
    const acks = new AmqpAckCoalescer(channel, () => undefined);
    const [m1, m2, m3] = received(acks, [1, 2, 3]);
    acks.reject(m1!, true);
    expect(sent).toEqual(['reject 1 requeue']);
    acks.ack(m3!);
    acks.ack(m2!);
    acks.flush();
    expect(sent).toEqual(['reject 1 requeue', 'ack ≤3']);
  });

  it('flushes by itself at the end of the turn', async () => {
    const { channel, sent } = recordingChannel();
    const acks = new AmqpAckCoalescer(channel, () => undefined);
    const [m1] = received(acks, [1]);
    acks.ack(m1!);
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toEqual(['ack ≤1']);
  });

  it('reports acks a closed channel refused, with their count', () => {
    const channel = {
      ack: () => {
        throw new Error('Channel closed');
      },
    } as unknown as Channel;
    const onError = vi.fn();
    const acks = new AmqpAckCoalescer(channel, onError);
    const [m1, m2] = received(acks, [1, 2]);
    acks.ack(m1!);
    acks.ack(m2!);
    acks.flush();
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ message: 'Channel closed' }), 2);
  });
});
