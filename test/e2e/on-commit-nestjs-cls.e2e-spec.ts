import { Module } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { ClsPluginTransactional, Propagation, TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { ClsModule } from 'nestjs-cls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { drainOnCommit } from 'celeriac/typeorm';
import { installCommitHooks } from 'celeriac/typeorm';
import { onCommit } from 'celeriac/typeorm';
import { atomic } from 'celeriac/typeorm';
import { dropSchema, openSchemaDataSource, uniqueSchema } from '../support/typeorm-postgres.js';

const schema = uniqueSchema('cls');
let dataSource: DataSource;
let moduleRef: TestingModule;
let txHost: TransactionHost<TransactionalAdapterTypeOrm>;
let log: string[] = [];
const push = (tag: string) => () => void log.push(tag);

beforeAll(async () => {
  dataSource = await openSchemaDataSource(schema);
  installCommitHooks(dataSource);
  @Module({ providers: [{ provide: DataSource, useValue: dataSource }], exports: [DataSource] })
  class DbModule {}
  moduleRef = await Test.createTestingModule({
    imports: [
      ClsModule.forRoot({
        global: true,
        plugins: [
          new ClsPluginTransactional({
            imports: [DbModule],
            adapter: new TransactionalAdapterTypeOrm({ dataSourceToken: DataSource }),
          }),
        ],
      }),
    ],
  }).compile();
  await moduleRef.init();
  txHost = moduleRef.get(TransactionHost);
});
afterEach(async () => {
  await drainOnCommit();
  log = [];
});
afterAll(async () => {
  await moduleRef?.close();
  await dataSource?.destroy();
  await dropSchema(schema);
});

describe('onCommit with @nestjs-cls/transactional', () => {
  it('Required: waits for the commit; callbacks see no transaction', async () => {
    const inside: boolean[] = [];
    await txHost.withTransaction(async () => {
      await onCommit(async () => void inside.push(txHost.isTransactionActive()));
      await txHost.withTransaction(async () => onCommit(push('joined')));
      expect(inside).toEqual([]);
    });
    await drainOnCommit();
    expect(inside).toEqual([false]);
    expect(log).toEqual(['joined']);
  });

  it('Nested: an inner failure drops only the inner callbacks', async () => {
    await txHost.withTransaction(async () => {
      await onCommit(push('outer'));
      await txHost
        .withTransaction(Propagation.Nested, async () => {
          await onCommit(push('inner'));
          throw new Error('inner');
        })
        .catch(() => undefined);
    });
    await drainOnCommit();
    expect(log).toEqual(['outer']);
  });

  it('RequiresNew: inner callbacks run although the outer rolls back', async () => {
    await txHost
      .withTransaction(async () => {
        await onCommit(push('outer'));
        await txHost.withTransaction(Propagation.RequiresNew, async () =>
          onCommit(push('independent')),
        );
        throw new Error('outer');
      })
      .catch(() => undefined);
    await drainOnCommit();
    expect(log).toEqual(['independent']);
  });

  it('NotSupported: runs at once', async () => {
    await txHost.withTransaction(async () => {
      await txHost.withTransaction(Propagation.NotSupported, async () => onCommit(push('now')));
      expect(log).toEqual(['now']);
    });
  });

  it('atomic() inside @Transactional() opens a savepoint of it, not a second transaction', async () => {
    await txHost.withTransaction(async () => {
      const outer = txHost.tx.queryRunner;
      await onCommit(push('outer'));
      await atomic(dataSource, async (m) => {
        expect(m.queryRunner).toBe(outer);
        await onCommit(push('released savepoint'));
      });
      await atomic(dataSource, async (m) => {
        expect(m.queryRunner).toBe(outer);
        await onCommit(push('dropped'));
        throw new Error('inner');
      }).catch(() => undefined);
    });
    await drainOnCommit();
    expect(log).toEqual(['outer', 'released savepoint']);
  });

  it('@Transactional() inside atomic() joins it (txHost.tx is its transaction)', async () => {
    await atomic(dataSource, async (m) => {
      expect(txHost.isTransactionActive()).toBe(true);
      expect(txHost.tx.queryRunner).toBe(m.queryRunner);
      await txHost.withTransaction(async () => {
        expect(txHost.tx.queryRunner).toBe(m.queryRunner);
        await onCommit(push('joined'));
      });
      await txHost
        .withTransaction(Propagation.Nested, async () => {
          expect(txHost.tx.queryRunner).toBe(m.queryRunner);
          await onCommit(push('dropped'));
          throw new Error('nested');
        })
        .catch(() => undefined);
      expect(log).toEqual([]);
    });
    expect(log).toEqual(['joined']);
  });

  it('a plain dataSource.transaction() inside a CLS context is found too', async () => {
    await txHost.withoutTransaction(async () => {
      await dataSource.transaction(async () => {
        await onCommit(push('plain'));
        expect(log).toEqual([]);
      });
    });
    await drainOnCommit();
    expect(log).toEqual(['plain']);
  });
});
