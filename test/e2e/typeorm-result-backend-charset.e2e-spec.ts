import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DataSource } from 'typeorm';
import { TaskGroupResult, TaskResult, TypeOrmResultBackend } from 'celeriac/typeorm';
import { RESULT_MIGRATIONS } from '../support/celeriac-migrations.js';
import { dropMariaDb, openMariaDb, uniqueDatabase } from '../support/typeorm-mariadb.js';

// CreateTaskResult… makes task_result in the database's default character set: latin1 on
// MariaDB before 11.6 and MySQL 5.7 unless configured, or utf8mb3. A result, arguments or a
// traceback holding an emoji or a non-Latin script could not be stored there ("Incorrect string
// value"): the task's outcome was lost.
describe.each(['latin1', 'utf8mb3', 'utf8mb4'])(
  'typeorm result backend on a MariaDB database whose charset is %s',
  (charset) => {
    const database = uniqueDatabase(`results_${charset}`);
    let dataSource: DataSource;
    let backend: TypeOrmResultBackend;
    beforeAll(async () => {
      const options = { entities: [TaskResult, TaskGroupResult], migrations: RESULT_MIGRATIONS };
      dataSource = await openMariaDb(database, { ...options, charset });
      await dataSource.runMigrations();
      backend = new TypeOrmResultBackend(dataSource, { pollInterval: 60_000, cleanupInterval: 0 });
    });
    afterAll(async () => {
      await backend?.close?.();
      await dataSource?.destroy();
      await dropMariaDb(database);
    });

    it('stores and reads back a result and arguments with any Unicode text', async () => {
      const meta = {
        task_id: `unicode-${charset}`,
        status: 'SUCCESS' as const,
        result: { greeting: 'héllo 😀 日本語', list: ['Ωμέγα'] },
        traceback: null,
        children: [],
        date_done: new Date().toISOString(),
        name: 'demo.greet',
        args: ['é😀'],
        kwargs: { who: '世界' },
      };
      await backend.store(meta);
      const stored = await backend.get(meta.task_id);
      expect(stored?.result).toEqual(meta.result);
      expect(stored?.args).toEqual(meta.args);
      expect(stored?.kwargs).toEqual(meta.kwargs);
    });

    it('stores the FAILURE of a task whose error message is not Latin text', async () => {
      const meta = {
        task_id: `failure-${charset}`,
        status: 'FAILURE' as const,
        result: { exc_type: 'ValueError', exc_message: ['плохой ввод 😀'], exc_module: 'builtins' },
        traceback: 'Traceback (most recent call last):\nValueError: плохой ввод 😀\n',
        children: [],
        date_done: new Date().toISOString(),
      };
      await backend.store(meta);
      const stored = await backend.get(meta.task_id);
      expect(stored?.status).toBe('FAILURE');
      expect(stored?.result).toEqual(meta.result);
      expect(stored?.traceback).toBe(meta.traceback);
    });

    it('reads back a traceback that is ASCII, or starts with a quote, unchanged', async () => {
      for (const [n, traceback] of [
        'Error: plain\n    at x (a.js:1:1)',
        '"quoted" \\u00e9 text',
      ].entries()) {
        const meta = {
          task_id: `ascii-${charset}-${n}`,
          status: 'FAILURE' as const,
          result: { exc_type: 'Error', exc_message: ['x'], exc_module: 'builtins' },
          traceback,
          children: [],
          date_done: new Date().toISOString(),
        };
        await backend.store(meta);
        expect((await backend.get(meta.task_id))?.traceback).toBe(traceback);
      }
    });
  },
);
