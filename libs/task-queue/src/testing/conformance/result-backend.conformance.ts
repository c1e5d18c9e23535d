import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { TaskTimeoutError } from '../../errors/task-timeout.error.js';
import type { ResultBackend, TaskMeta } from '../../contracts/result-backend.interface.js';
import { describeGroupStoreConformance } from './group-store.conformance.js';

export interface ResultBackendConformanceOptions {
  /** Make a backend; instances made in one test must share state (two processes, one store). */
  create(): Promise<ResultBackend> | ResultBackend;
}

export function meta(taskId: string, status: string, result: unknown = null): TaskMeta {
  return {
    task_id: taskId,
    status,
    result,
    traceback: null,
    children: [],
    date_done: status === 'SUCCESS' || status === 'FAILURE' ? new Date().toISOString() : null,
  };
}

/** The contract every result backend must honour. */
export function describeResultBackendConformance(
  name: string,
  options: ResultBackendConformanceOptions,
): void {
  describe(`result backend conformance: ${name}`, () => {
    const opened: ResultBackend[] = [];
    const ids: string[] = [];
    const open = async (): Promise<ResultBackend> => {
      const backend = await options.create();
      await backend.connect();
      opened.push(backend);
      return backend;
    };
    const id = (): string => {
      const taskId = randomUUID();
      ids.push(taskId);
      return taskId;
    };

    afterEach(async () => {
      const cleaner = opened[0];
      if (cleaner)
        for (const taskId of ids.splice(0)) await cleaner.forget(taskId).catch(() => undefined);
      for (const backend of opened.splice(0).reverse())
        await backend.close().catch(() => undefined);
    });

    it('knows nothing of an unknown task', async () => {
      const backend = await open();
      expect(await backend.get(id())).toBeNull();
    });

    it('stores and reads back a success with its value', async () => {
      const backend = await open();
      const taskId = id();
      const value = { total: 42, items: ['a', 'b'], nested: { ok: true }, nothing: null };
      await backend.store(meta(taskId, 'SUCCESS', value));
      const stored = await backend.get(taskId);
      expect(stored).toMatchObject({ task_id: taskId, status: 'SUCCESS', result: value });
    });

    it('stores a failure in Celery exception format with its traceback', async () => {
      const backend = await open();
      const taskId = id();
      const error = { exc_type: 'ValueError', exc_message: ['bad value'], exc_module: 'builtins' };
      await backend.store({ ...meta(taskId, 'FAILURE', error), traceback: 'Traceback...' });
      expect(await backend.get(taskId)).toMatchObject({
        status: 'FAILURE',
        result: error,
        traceback: 'Traceback...',
      });
    });

    it('keeps custom states with their meta (PROGRESS)', async () => {
      const backend = await open();
      const taskId = id();
      await backend.store(meta(taskId, 'PROGRESS', { done: 3, total: 10 }));
      expect(await backend.get(taskId)).toMatchObject({
        status: 'PROGRESS',
        result: { done: 3, total: 10 },
      });
    });

    it('never lets a non-ready state overwrite a ready one', async () => {
      const backend = await open();
      const taskId = id();
      await backend.store(meta(taskId, 'SUCCESS', 1));
      await backend.store(meta(taskId, 'STARTED'));
      expect((await backend.get(taskId))?.status).toBe('SUCCESS');
    });

    it('wakes a waiter when another instance stores the result', async () => {
      const waiterSide = await open();
      const workerSide = await open();
      const taskId = id();
      const waiting = waiterSide.waitForReady(taskId, { timeout: 10_000 });
      await new Promise((r) => setTimeout(r, 50));
      await workerSide.store(meta(taskId, 'STARTED'));
      await workerSide.store(meta(taskId, 'SUCCESS', 'done'));
      await expect(waiting).resolves.toMatchObject({ status: 'SUCCESS', result: 'done' });
    });

    it('resolves at once when the task is already ready', async () => {
      const backend = await open();
      const taskId = id();
      await backend.store(
        meta(taskId, 'FAILURE', { exc_type: 'E', exc_message: [], exc_module: 'm' }),
      );
      await expect(backend.waitForReady(taskId, { timeout: 2_000 })).resolves.toMatchObject({
        status: 'FAILURE',
      });
    });

    it('serves many concurrent waiters', async () => {
      const backend = await open();
      const taskIds = Array.from({ length: 50 }, id);
      const waits = taskIds.map((t) => backend.waitForReady(t, { timeout: 10_000 }));
      await Promise.all(taskIds.map((t, i) => backend.store(meta(t, 'SUCCESS', i))));
      const results = await Promise.all(waits);
      expect(results.map((r) => r.result)).toEqual(taskIds.map((_, i) => i));
    });

    it('times out with TaskTimeoutError', async () => {
      const backend = await open();
      await expect(backend.waitForReady(id(), { timeout: 200 })).rejects.toBeInstanceOf(
        TaskTimeoutError,
      );
    });

    it('stops waiting when aborted', async () => {
      const backend = await open();
      const controller = new AbortController();
      const waiting = backend.waitForReady(id(), { signal: controller.signal });
      controller.abort(new Error('caller gave up'));
      await expect(waiting).rejects.toThrow('caller gave up');
    });

    it('forgets a result', async () => {
      const backend = await open();
      const taskId = id();
      await backend.store(meta(taskId, 'SUCCESS', 1));
      await backend.forget(taskId);
      expect(await backend.get(taskId)).toBeNull();
    });

    describeGroupStoreConformance(open);
  });
}
