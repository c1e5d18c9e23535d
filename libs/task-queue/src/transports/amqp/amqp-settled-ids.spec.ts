import { randomUUID } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { ConsumeMessage } from 'amqplib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AmqpSettledIds } from './amqp-settled-ids.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Live heap after full collections, in MB. */
function liveHeapMb(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

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

  afterEach(() => vi.useRealTimers());

  it('forgets the oldest attempt first, first attempts and retries alike', () => {
    vi.useFakeTimers({ now: 1_000_000, toFake: ['Date'] });
    const ids = new AmqpSettledIds();
    ids.remember(raw('old', 1, false));
    vi.advanceTimersByTime(1);
    for (let i = 0; i < 9_999; i++) ids.remember(raw(`t${i}`, 0, false));
    expect(ids.alreadySettled(raw('old', 1, true))).toBe(true);
    vi.advanceTimersByTime(1);
    ids.remember(raw('new', 2, false));
    expect(ids.alreadySettled(raw('old', 1, true))).toBe(false);
    expect(ids.alreadySettled(raw('t0', 0, true))).toBe(true);
    ids.remember(raw('newer', 0, false));
    expect(ids.alreadySettled(raw('t0', 0, true))).toBe(false);
    expect(ids.alreadySettled(raw('new', 2, true))).toBe(true);
  });

  it('holds 10,000 settled tasks in about 1.2 MB of heap (a composite key each took 1.8 MB)', () => {
    const ids = new AmqpSettledIds();
    const before = liveHeapMb();
    // Task ids as amqplib decodes them (flat strings of their own); each message is garbage
    // once settled, so what stays is what the set keeps.
    for (let i = 0; i < 10_000; i++) {
      ids.remember(raw(Buffer.from(randomUUID()).toString('utf8'), 0, false));
    }
    expect(liveHeapMb() - before).toBeLessThan(1.4);
    expect(ids.alreadySettled(raw('t1', 0, true))).toBe(false);
  });
});
