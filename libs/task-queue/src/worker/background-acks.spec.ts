import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { Delivery } from '../contracts/broker.interface.js';
import type { TaskRequest } from '../protocol/task-request.js';
import { TickBatcher } from '../utils/tick-batcher.js';
import { BackgroundAcks } from './background-acks.js';

/** Deliveries whose acks go through one batcher, as the Redis broker's do. */
function batchedAcks(send: (tags: string[]) => Promise<void>, maxBatch?: number) {
  const batcher = new TickBatcher<string>(send, maxBatch);
  return (tag: string): Delivery => ({ deliveryTag: tag, ack: () => batcher.add(tag) }) as Delivery;
}

const request = (id: string): TaskRequest => ({ id, name: 'acks.test' }) as TaskRequest;

describe('BackgroundAcks', () => {
  it('reports a failed batch once per task of it, and no task of a batch that succeeded', async () => {
    const failed: string[] = [];
    const acks = new BackgroundAcks((delivery, req, error) =>
      failed.push(`${req.id}/${delivery.deliveryTag}: ${error.message}`),
    );
    let call = 0;
    const delivery = batchedAcks(async () => {
      if (call++ === 1) throw new Error('connection lost');
    }, 2);
    for (const n of [1, 2, 3, 4, 5]) acks.ack(delivery(`t${n}`), request(`id${n}`));
    await nextTurn();
    await nextTurn();
    expect(failed).toEqual(['id3/t3: connection lost', 'id4/t4: connection lost']);
  });

  it('starts a new group once a shared promise settled (a broker acking with one resolved promise)', async () => {
    const failed: string[] = [];
    const acks = new BackgroundAcks((_delivery, req) => failed.push(req.id));
    const done = Promise.resolve();
    const rejected = Promise.reject(new Error('closed'));
    rejected.catch(() => undefined);
    let current = done;
    const delivery = { deliveryTag: 'x', ack: () => current } as unknown as Delivery;
    acks.ack(delivery, request('a'));
    acks.ack(delivery, request('b'));
    await nextTurn();
    current = rejected;
    acks.ack(delivery, request('c'));
    await nextTurn();
    current = done;
    acks.ack(delivery, request('d'));
    await nextTurn();
    expect(failed).toEqual(['c']);
  });

  it('reports each task once when every ack has its own promise', async () => {
    const failed: string[] = [];
    const acks = new BackgroundAcks((_delivery, req, error) =>
      failed.push(`${req.id}: ${error.message}`),
    );
    const delivery = {
      deliveryTag: 'y',
      ack: () => Promise.reject(new Error('gone')),
    } as unknown as Delivery;
    acks.ack(delivery, request('e'));
    acks.ack(delivery, request('f'));
    await nextTurn();
    expect(failed).toEqual(['e: gone', 'f: gone']);
  });
});
