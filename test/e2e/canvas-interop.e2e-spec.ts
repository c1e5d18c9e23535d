import { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import { useCanvasApp } from '../support/canvas-harness.js';
import { CANVAS_REDIS, RABBITMQ_REDIS, RABBITMQ_RPC, REDIS } from '../support/canvas-transports.js';

/**
 * Real Python Celery 5.2 builds canvases (chain, link, chord, link_error, failing chord) whose
 * every task runs on a Celeriac worker: the worker must continue chains, apply callbacks and
 * errbacks, and join chords exactly like a Python worker, and Python reads the final results.
 * On Redis, and on RabbitMQ with Redis or rpc:// results (no chords on rpc://, as in Celery).
 */
interface CanvasOutput {
  ids: string[];
  chain: number;
  chain_parents: number[];
  link: [number, number];
  chord?: number;
  chord_group?: string;
  fail: string;
  errback: { args: unknown[] };
  failed_id: string;
  chord_error?: [string, string, string];
  chord_error_date_done?: [string, string];
  chain_failure: [string, string, string];
}

describe.each([REDIS, RABBITMQ_REDIS, RABBITMQ_RPC])(
  'Python Celery canvases run by a Celeriac worker ($name)',
  (transport) => {
    const h = useCanvasApp(transport);
    let output: CanvasOutput;

    beforeAll(async () => {
      const { broker, backend } = h.transport.python!;
      output = await h.runPython<CanvasOutput>('canvas_interop.py', broker, h.nodeQueue, backend);
      h.ids.push(...output.ids);
    }, 180_000);

    it('chain(add.s(2,2), add.s(4), add.s(8)): the Node worker pops each step; Python reads 16', () => {
      expect(output.chain).toBe(16);
      expect(output.chain_parents).toEqual([8, 4]);
    });

    it('add.apply_async((1,1), link=add.s(10)): 2, then the callback add(2, 10) = 12', () => {
      expect(output.link).toEqual([2, 12]);
    });

    it('link_error: the errback receives the failed task id first', () => {
      expect(output.fail).toBe('CanvasError');
      expect(output.errback.args).toEqual([output.failed_id, 'errback']);
    });

    it('chain(add, fail, add): the last step gets the FAILURE too (rpc://: to the reply queue)', () => {
      // The chain's result is its last step: Celery's mark_as_failure stores the failure for
      // every remaining step, and on rpc:// sends it to the reply_to of the step's options.
      expect(output.chain_failure).toEqual(['FAILURE', 'CanvasError', '2']);
    });

    it.skipIf(!transport.chords)(
      'chord([add.s(i,i) for i in range(5)])(tsum.s()): the Node worker publishes the body: 20',
      async () => {
        expect(output.chord).toBe(20);
        // The native join's keys are deleted once the body is published.
        const redis = new Redis(CANVAS_REDIS);
        expect(await redis.exists(`celery-taskset-meta-${output.chord_group}.j`)).toBe(0);
        redis.disconnect();
      },
    );

    it.skipIf(!transport.chords)(
      'a failing chord header member fails the body with ChordError',
      () => {
        const [state, type, message] = output.chord_error!;
        expect([state, type]).toEqual(['FAILURE', 'ChordError']);
        expect(message).toMatch(/^Dependency [0-9a-f-]{36} raised CanvasError\('header'\)$/);
      },
    );

    it.skipIf(!transport.chords)(
      "the failed body's date_done reads back in Python as the instant stored (microseconds)",
      () => {
        const [stored, parsed] = output.chord_error_date_done!;
        expect(stored).toMatch(/T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$/);
        expect(new Date(parsed).getTime()).toBe(new Date(stored).getTime());
      },
    );
  },
);
