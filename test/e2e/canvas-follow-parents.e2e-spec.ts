import { describe, expect, it } from 'vitest';
import {
  chain,
  chord,
  RemoteTaskError,
  TaskRevokedError,
  TaskTimeoutError,
  type AsyncResult,
} from 'celeriac';
import { useCanvasApp } from '../support/canvas-harness.js';
import { RABBITMQ_RPC, REDIS } from '../support/canvas-transports.js';

/**
 * `AsyncResult.get()` follows parents as Celery's `get(follow_parents=True)`: a chain whose
 * earlier step failed or was revoked rejects with that step's error even where no worker marks
 * the later steps (Celery 5.2.6 marks none after a revoked step, nor after a chord inside a
 * chain whose header failed), instead of waiting for ever.
 */
const T = { timeout: 20_000 };

describe.each([REDIS, RABBITMQ_RPC])('get() follows parents ($name)', (transport) => {
  const h = useCanvasApp(transport, { python: true });

  it.each(['node', 'python'])(
    'a chain whose first step expired (stored REVOKED by a %s worker) rejects with TaskRevokedError',
    async (side) => {
      const expired = { expires: new Date(Date.now() - 60_000) };
      const sent =
        side === 'node'
          ? await chain(h.add.s(1, 1).set(expired), h.add.s(2)).delay()
          : await chain(h.client.signature('py.add', [1, 1], {}, expired), h.py('add', 2)).delay();
      const result = h.track(sent);
      const error = await result.get(T).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TaskRevokedError);
      expect((error as TaskRevokedError).taskId).toBe((result.parent as AsyncResult).id);
    },
  );

  it.skipIf(!transport.chords)(
    'chain(chord(python header with a failing member, body), step) rejects with the member error',
    async () => {
      const result = h.track(
        await chain(
          chord([h.py('add', 1, 1), h.py('fail', 'boom')], h.py('tsum')),
          h.py('add', 1),
        ).delay(),
      );
      // As Python's get(): the header member's error, first in the chain.
      const error = await result.get(T).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RemoteTaskError);
      expect(error).toMatchObject({ excType: 'CanvasError', message: 'boom' });
      // The Python worker stored nothing for the last step: without following parents, the
      // wait only ends at its timeout.
      await expect(result.get({ timeout: 1_000, followParents: false })).rejects.toBeInstanceOf(
        TaskTimeoutError,
      );
    },
  );
});
