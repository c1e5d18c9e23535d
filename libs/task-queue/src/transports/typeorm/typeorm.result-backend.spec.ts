import { resultTuple } from '../../results/chord-parts.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { ResultBackendError } from '../../errors/result-backend.error.js';
import {
  describeResultBackendConformance,
  meta,
} from '../../testing/conformance/result-backend.conformance.js';
import { CreateTaskResult1767225600001 } from './create-task-result.migration.js';
import { TaskGroupResult } from './task-group-result.entity.js';
import { TaskResult } from './task-result.entity.js';
import { TypeOrmResultBackend } from './typeorm.result-backend.js';

let dataSource: DataSource;

beforeAll(async () => {
  dataSource = new DataSource({
    type: 'sqljs',
    entities: [TaskResult, TaskGroupResult],
    migrations: [CreateTaskResult1767225600001],
  });
  await dataSource.initialize();
  await dataSource.runMigrations();
});
afterAll(() => dataSource.destroy());

describeResultBackendConformance('typeorm (sql.js)', {
  create: () => new TypeOrmResultBackend(dataSource, { pollInterval: 20 }),
});

describe('TypeOrmResultBackend (sql.js)', () => {
  it('expires results and cleans them up', async () => {
    const backend = new TypeOrmResultBackend(dataSource, { expires: 60 });
    await backend.connect();
    await backend.store({
      ...meta('expiring', 'SUCCESS', 1),
      name: 'add',
      args: [1],
      kwargs: { a: 1 },
      retries: 2,
    });
    expect(await backend.get('expiring')).toMatchObject({
      name: 'add',
      args: [1],
      kwargs: { a: 1 },
      retries: 2,
    });
    expect(await backend.cleanup(new Date(Date.now() + 61_000))).toBe(1);
    expect(await backend.get('expiring')).toBeNull();
    await backend.close();
  });

  it('stores groups, and reads rows saved as bare member ids', async () => {
    const backend = new TypeOrmResultBackend(dataSource);
    await backend.saveGroup('g1', [resultTuple('a'), resultTuple('b')]);
    expect(await backend.getGroup('g1')).toEqual(['a', 'b']);
    await backend.forgetGroup('g1');
    expect(await backend.getGroup('g1')).toBeNull();
    const now = new Date();
    await dataSource.getRepository(TaskGroupResult).insert({
      groupId: 'legacy',
      result: '["x", "y"]',
      dateCreated: now,
      expiresAt: new Date(now.getTime() + 60_000),
    });
    expect((await backend.restoreGroup('legacy'))?.children).toEqual([
      resultTuple('x'),
      resultTuple('y'),
    ]);
    await backend.forgetGroup('legacy');
  });

  it('says to run the migration when the table is missing', async () => {
    const empty = new DataSource({ type: 'sqljs', entities: [TaskResult, TaskGroupResult] });
    await empty.initialize();
    await expect(new TypeOrmResultBackend(empty).connect()).rejects.toThrow(ResultBackendError);
    await empty.destroy();
  });
});
