import { Module } from '@nestjs/common';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { TaskQueueModule } from 'celeriac';
import { poolEnv } from './pool-env.js';
import { PoolDbTasks } from './pool-db.tasks.js';
import { PoolRecordSchema } from './pool-record.entity.js';
import { PoolTasks } from './pool.tasks.js';

const env = poolEnv();

/**
 * What each isolate boots: the task providers and their dependencies, with the same broker
 * and result backend as the worker (producers and `updateState` work inside), and no worker
 * of its own (the library turns consumption off inside an isolate).
 */
@Module({
  imports: [
    TaskQueueModule.forRoot({
      broker: env.broker,
      resultBackend: env.backend,
      defaultQueue: env.queue,
      events: { enabled: false },
    }),
  ],
  providers: [PoolTasks],
})
export class PoolIsolateModule {}

/** The same, plus PostgreSQL (schema `POOLS_PG_SCHEMA`) and the TypeORM task. */
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      useFactory: () => ({
        type: 'postgres',
        host: '127.0.0.1',
        port: 5432,
        username: 'postgres',
        database: 'test',
        schema: env.schema,
        extra: { options: `-c search_path=${env.schema}`, max: 4 },
        entities: [PoolRecordSchema],
      }),
    }),
    TypeOrmModule.forFeature([PoolRecordSchema]),
    TaskQueueModule.forRootAsync({
      inject: [getDataSourceToken()],
      useFactory: (dataSource: DataSource) => ({
        broker: env.broker,
        resultBackend: env.backend,
        defaultQueue: env.queue,
        events: { enabled: false },
        typeorm: { dataSource },
      }),
    }),
  ],
  providers: [PoolTasks, PoolDbTasks],
})
export class PoolDbIsolateModule {}
