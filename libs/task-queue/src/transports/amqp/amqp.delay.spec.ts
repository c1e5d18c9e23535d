import { describe, expect, it } from 'vitest';
import { DelayLadder } from './amqp.delay.js';

describe('DelayLadder', () => {
  const ladder = new DelayLadder({ unitMs: 100, levels: 4, prefix: 'celeriac.delay' });

  it('rounds a delay up to whole units and writes them as binary digits, top level first', () => {
    expect(ladder.route('q', 250)).toEqual({
      exchange: 'celeriac.delay.3',
      routingKey: '0.0.1.1.q',
    });
    expect(ladder.route('q', 1)).toEqual({ exchange: 'celeriac.delay.3', routingKey: '0.0.0.1.q' });
    expect(ladder.route('a.b', 800).routingKey).toBe('1.0.0.0.a.b');
  });

  it('caps a delay at the top of the ladder (the rest is parked again on arrival)', () => {
    expect(ladder.maxDelayMs).toBe(1_500);
    expect(ladder.route('q', 10_000).routingKey).toBe('1.1.1.1.q');
  });

  it('declares one TTL queue per level, dead-lettering one level down, and digit bindings', () => {
    const plan = ladder.declarations();
    expect(plan.queues).toContainEqual({
      name: 'celeriac.delay.2',
      arguments: { 'x-message-ttl': 400, 'x-dead-letter-exchange': 'celeriac.delay.1' },
    });
    expect(plan.queues).toContainEqual({
      name: 'celeriac.delay.0',
      arguments: { 'x-message-ttl': 100, 'x-dead-letter-exchange': 'celeriac.delay.deliver' },
    });
    expect(plan.queueBindings).toContainEqual({
      queue: 'celeriac.delay.2',
      exchange: 'celeriac.delay.2',
      pattern: '*.1.#',
    });
    expect(plan.exchangeBindings).toContainEqual({
      destination: 'celeriac.delay.1',
      source: 'celeriac.delay.2',
      pattern: '*.0.#',
    });
  });

  it('binds a target with exactly one word per level, so queue "b" never catches "a.b"', () => {
    expect(ladder.targetBinding('b').pattern).toBe('*.*.*.*.b');
    expect(ladder.targetBinding('a.b').pattern).toBe('*.*.*.*.a.b');
  });

  it('refuses queue names that are wildcards in a topic pattern', () => {
    expect(ladder.accepts('jobs')).toBe(true);
    expect(ladder.accepts('jobs.#')).toBe(false);
    expect(ladder.accepts('x'.repeat(250))).toBe(false);
  });
});
