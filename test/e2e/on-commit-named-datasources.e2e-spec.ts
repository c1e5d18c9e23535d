import { Injectable, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Task, TaskClient, TaskQueueModule } from 'celeriac';
import { drainOnCommit, onCommit } from 'celeriac/typeorm';
import { deleteKeys, REDIS_URL } from '../support/redis-test-server.js';
import { ItemSchema } from '../support/typeorm-drivers.js';
import { dropMariaDb, uniqueDatabase } from '../support/typeorm-mariadb.js';
import { dropSchema, postgresOptions, uniqueSchema } from '../support/typeorm-postgres.js';

// A Nest app with two @nestjs/typeorm data sources (PostgreSQL, the module's; MariaDB, named
// 'reporting' and not tracked by the module): onCommit(fn, { dataSource }) (Django's using=)
// waits for the COMMIT of the named one. It used to run the callback at once, before the
// COMMIT, and also when the transaction rolled back.

let reporting: DataSource;
/** Per task run: did the row exist in the reporting database? */
const seen = new Map<string, boolean>();

@Injectable()
class ReportTasks {
  @Task('reports.check')
  async check(id: string): Promise<void> {
    seen.set(id, (await reporting.getRepository(ItemSchema).findOneBy({ id })) !== null);
  }
}

const schema = uniqueSchema('named');
const database = uniqueDatabase('named');
const queue = `named-${randomUUID()}`;
let app: INestApplicationContext;

beforeAll(async () => {
  const admin = new DataSource({ ...postgresOptions('public'), extra: {} });
  await admin.initialize();
  await admin.query(`CREATE SCHEMA "${schema}"`);
  await admin.destroy();
  const mariaAdmin = new DataSource({
    type: 'mariadb',
    host: '127.0.0.1',
    port: 3306,
    username: 'root',
    password: '',
    database: 'test',
  });
  await mariaAdmin.initialize();
  await mariaAdmin.query(`CREATE DATABASE \`${database}\``);
  await mariaAdmin.destroy();
  const moduleRef = await Test.createTestingModule({
    imports: [
      TypeOrmModule.forRoot({
        ...postgresOptions(schema),
        entities: [ItemSchema],
        synchronize: true,
      }),
      TypeOrmModule.forRoot({
        name: 'reporting',
        type: 'mariadb',
        host: '127.0.0.1',
        port: 3306,
        username: 'root',
        password: '',
        database,
        entities: [ItemSchema],
        synchronize: true,
      }),
      TaskQueueModule.forRootAsync({
        inject: [DataSource],
        useFactory: (dataSource: DataSource) => ({
          broker: REDIS_URL,
          resultBackend: false,
          defaultQueue: queue,
          typeorm: { dataSource },
          worker: { banner: false, concurrency: 1 },
        }),
      }),
    ],
    providers: [ReportTasks],
  }).compile();
  app = await moduleRef.init();
  reporting = app.get<DataSource>(getDataSourceToken('reporting'));
});
afterAll(async () => {
  await app?.close();
  await deleteKeys(REDIS_URL, queue, `_kombu.binding.${queue}`);
  await dropSchema(schema);
  await dropMariaDb(database);
});

describe('onCommit(fn, { dataSource }) on a second @nestjs/typeorm data source', () => {
  it('sends after its COMMIT (the task sees the row), never after a rollback', async () => {
    const task = app.get(TaskClient).get(ReportTasks, 'check');
    const [committed, rolledBack] = [randomUUID(), randomUUID()];
    const order: string[] = [];
    await reporting.transaction(async (m) => {
      await m.insert(ItemSchema, { id: committed });
      await onCommit(
        async () => {
          order.push('callback');
          await task.delay(committed);
        },
        { dataSource: reporting },
      );
      order.push('end of transaction');
    });
    await reporting
      .transaction(async (m) => {
        await m.insert(ItemSchema, { id: rolledBack });
        await onCommit(() => task.delay(rolledBack), { dataSource: reporting });
        throw new Error('rollback');
      })
      .catch(() => undefined);
    await drainOnCommit();
    expect(order).toEqual(['end of transaction', 'callback']);
    await expect.poll(() => seen.get(committed), { timeout: 15_000 }).toBe(true);
    // One task at a time, in order of arrival: a task sent for the rolled-back row would be
    // done by now too.
    const probe = randomUUID();
    await task.delay(probe);
    await expect.poll(() => seen.has(probe), { timeout: 15_000 }).toBe(true);
    expect(seen.has(rolledBack)).toBe(false);
  });
});
