import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { TickBatcher } from '../utils/tick-batcher.js';
import { SharedSettlement } from './shared-settlement.js';

/** A waiter that records what happened to it under `name`. */
function recorder(log: string[], name: string) {
  return {
    resolved: () => void log.push(`${name} ok`),
    rejected: (error: unknown) => void log.push(`${name} ${(error as Error).message}`),
  };
}

describe('SharedSettlement', () => {
  it('runs the waiters of one batch in order once it is written, and a failed batch rejects only its own', async () => {
    const log: string[] = [];
    let call = 0;
    const stores = new TickBatcher<string>(async () => {
      if (call++ === 1) throw new Error('lost');
    }, 2);
    const settlement = new SharedSettlement();
    for (const name of ['a', 'b', 'c', 'd', 'e'])
      settlement.when(stores.add(name), recorder(log, name));
    await nextTurn();
    await nextTurn();
    expect(log).toEqual(['a ok', 'b ok', 'c lost', 'd lost', 'e ok']);
  });

  it('starts a new group once the shared promise settled (one resolved promise used again)', async () => {
    const log: string[] = [];
    const settlement = new SharedSettlement();
    const done = Promise.resolve();
    settlement.when(done, recorder(log, 'first'));
    await nextTurn();
    settlement.when(done, recorder(log, 'second'));
    await nextTurn();
    expect(log).toEqual(['first ok', 'second ok']);
  });

  it('runs every waiter when one throws, then rejects the reaction with that error', async () => {
    const log: string[] = [];
    const settlement = new SharedSettlement();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const done = Promise.resolve();
      settlement.when(done, {
        resolved: () => {
          throw new Error('listener threw');
        },
        rejected: () => void log.push('never'),
      });
      settlement.when(done, recorder(log, 'next'));
      await nextTurn();
      await nextTurn();
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(log).toEqual(['next ok']);
    expect(unhandled).toEqual([new Error('listener threw')]);
  });
});
