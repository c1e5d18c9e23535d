import type { DataSource } from 'typeorm';
import type { TaskQueueOptions } from 'celeriac';
import { TaskGroupResult, TaskOutbox, TaskResult } from 'celeriac/typeorm';
import { createTestVhost } from './amqp-vhost.js';
import { RESULT_MIGRATIONS } from './celeriac-migrations.js';
import { openOutboxDataSource } from './outbox-postgres.js';
import { dropSchema, openSchemaDataSource, uniqueSchema } from './typeorm-postgres.js';

/** The Redis of the canvas suites (broker and / or results). */
export const CANVAS_REDIS = 'redis://127.0.0.1:6379/0';

/** A broker and result backend opened for one spec (a vhost, a schema), Node and Python side. */
export interface OpenedTransport {
  /** `broker`, `resultBackend` (and `typeorm`) for `TaskQueueModule.forRoot`. */
  options: Partial<TaskQueueOptions>;
  /** The same broker and backend as Celery URLs, when Python can share them. */
  python: { broker: string; backend: string } | null;
  /** Results live in Redis (keys to delete afterwards). */
  redisResults: boolean;
  dataSource?: DataSource;
  /** The PostgreSQL schema of `dataSource`. */
  schema?: string;
  dispose(): Promise<void>;
}

/** One row of a canvas spec's matrix. */
export interface CanvasTransport {
  name: string;
  /** Chords complete (not on rpc://, as in Celery). */
  chords: boolean;
  open(): Promise<OpenedTransport>;
}

const redisShared = (broker: string, dispose: () => Promise<void>): OpenedTransport => ({
  options: { broker, resultBackend: CANVAS_REDIS },
  python: { broker, backend: CANVAS_REDIS },
  redisResults: true,
  dispose,
});

/** Redis broker, Redis results. */
export const REDIS: CanvasTransport = {
  name: 'Redis broker, Redis results',
  chords: true,
  open: async () => redisShared(CANVAS_REDIS, async () => undefined),
};

/** RabbitMQ broker (a private vhost), Redis results. */
export const RABBITMQ_REDIS: CanvasTransport = {
  name: 'RabbitMQ broker, Redis results',
  chords: true,
  async open() {
    const vhost = await createTestVhost('canvas');
    return redisShared(vhost.url, () => vhost.dispose());
  },
};

/** RabbitMQ broker (a private vhost), rpc:// results: no chords, as in Celery. */
export const RABBITMQ_RPC: CanvasTransport = {
  name: 'RabbitMQ broker, rpc:// results',
  chords: false,
  async open() {
    const vhost = await createTestVhost('canvas');
    return {
      options: { broker: vhost.url, resultBackend: 'rpc://' },
      python: { broker: vhost.url, backend: 'rpc://' },
      redisResults: false,
      dispose: () => vhost.dispose(),
    };
  },
};

/**
 * Redis broker, Celeriac's TypeORM results on PostgreSQL (a private schema): chords complete
 * through `celery.chord_unlock`. Python cannot share it: Celery's database backend has its own
 * tables (and needs SQLAlchemy).
 */
export const REDIS_TYPEORM: CanvasTransport = {
  name: 'Redis broker, TypeORM results (PostgreSQL): chords through celery.chord_unlock',
  chords: true,
  async open() {
    const schema = uniqueSchema('canvas');
    const dataSource = await openSchemaDataSource(schema, {
      entities: [TaskResult, TaskGroupResult],
      migrations: RESULT_MIGRATIONS,
    });
    await dataSource.runMigrations();
    return {
      options: { broker: CANVAS_REDIS, resultBackend: 'typeorm', typeorm: { dataSource } },
      python: null,
      redisResults: false,
      dataSource,
      async dispose() {
        await dataSource.destroy();
        await dropSchema(schema);
      },
    };
  },
};

/** The outbox schema's tables (what `openOutboxDataSource` migrates). */
export const OUTBOX_ENTITIES = [TaskOutbox];

/** How long a fresh outbox row is left to the fast path (the relay takes it after). */
export const OUTBOX_GRACE_MS = 1_500;

/**
 * Redis broker and results, `applyAsyncOnCommit` in outbox mode on PostgreSQL (a private
 * schema): messages are written to `task_outbox` in the transaction; a relay (polling every
 * 200 ms) runs in the worker.
 */
export const REDIS_OUTBOX: CanvasTransport = {
  name: 'Redis broker and results, TypeORM outbox (PostgreSQL)',
  chords: true,
  async open() {
    const schema = uniqueSchema('canvas_outbox');
    const dataSource = await openOutboxDataSource(schema);
    return {
      options: {
        broker: CANVAS_REDIS,
        resultBackend: CANVAS_REDIS,
        typeorm: {
          dataSource,
          dispatch: 'outbox',
          outbox: { graceMs: OUTBOX_GRACE_MS },
          relay: { pollIntervalMs: 200 },
        },
      },
      python: { broker: CANVAS_REDIS, backend: CANVAS_REDIS },
      redisResults: true,
      dataSource,
      schema,
      async dispose() {
        await dataSource.destroy();
        await dropSchema(schema);
      },
    };
  },
};
