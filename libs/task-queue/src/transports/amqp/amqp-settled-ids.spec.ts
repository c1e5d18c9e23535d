import type { ConsumeMessage } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { AmqpSettledIds } from './amqp-settled-ids.js';

function raw(id: string, retries: number, redelivered: boolean): ConsumeMessage {
  return {
    content: Buffer.from('[]'),
    fields: { deliveryTag: 1, redelivered, exchange: '', routingKey: 'q', consumerTag: 'c' },
    properties: { headers: { id, retries } },
  } as unknown as ConsumeMessage;
}

describe('AmqpSettledIds (redeliveries of attempts this consumer settled)', () => {
  it('knows a redelivery of a settled attempt, and only a redelivery', () => {
    const ids = new AmqpSettledIds();
    ids.remember(raw('t1', 0, false));
    expect(ids.alreadySettled(raw('t1', 0, true))).toBe(true);
    expect(ids.alreadySettled(raw('t1', 0, false))).toBe(false); // published again: runs
    expect(ids.alreadySettled(raw('t2', 0, true))).toBe(false);
  });

  it('a retry of a settled attempt (same id, retries + 1) is a new attempt and runs', () => {
    const ids = new AmqpSettledIds();
    ids.remember(raw('t1', 0, false));
    expect(ids.alreadySettled(raw('t1', 1, true))).toBe(false);
    ids.remember(raw('t1', 1, false));
    expect(ids.alreadySettled(raw('t1', 1, true))).toBe(true);
  });
});
