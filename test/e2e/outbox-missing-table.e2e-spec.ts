import { Logger } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DataSource } from 'typeorm';
import {
  AddTaskOutboxTraceContext1780272000000,
  CreateTaskOutbox1767225600000,
  TaskOutbox,
} from 'celeriac/typeorm';
import { OutboxTableMissingError } from 'celeriac';
import { OutboxWriter } from '../../libs/task-queue/src/transaction/outbox/outbox.writer.js';
import { OutboxRelay } from '../../libs/task-queue/src/transaction/outbox/outbox.relay.js';
import { asBroker, message, RecordingBroker } from '../support/outbox-fixtures.js';
import { dropSchema, openSchemaDataSource, uniqueSchema } from '../support/typeorm-postgres.js';

// dispatch: 'outbox' with the entity but without the migrations: the relay of a worker says
// which migrations to add, instead of repeating PostgreSQL's `relation "task_outbox" does not exist`.

const schema = uniqueSchema('outbox_missing');
let dataSource: DataSource;

beforeAll(async () => {
  dataSource = await openSchemaDataSource(schema, { entities: [TaskOutbox] });
});
afterAll(async () => {
  await dataSource?.destroy();
  await dropSchema(schema);
});

describe('outbox relay without the task_outbox table', () => {
  it('logs the migrations to add and run', async () => {
    let failed!: (line: string) => void;
    const firstFailure = new Promise<string>((resolve) => (failed = resolve));
    const error = vi.spyOn(Logger.prototype, 'error').mockImplementation((line: unknown) => {
      if (String(line).startsWith('Outbox relay round failed')) failed(String(line));
    });
    const relay = new OutboxRelay(dataSource, asBroker(new RecordingBroker()), {
      pollIntervalMs: 60_000,
      listen: false,
    });
    try {
      relay.start();
      const line = await firstFailure;
      expect(line).toContain('The task_outbox table does not exist.');
      expect(line).toContain('CreateTaskOutbox1767225600000');
      expect(line).toContain('AddTaskOutboxTraceContext1780272000000');
      expect(line).toContain('AddTaskOutboxSequence1796601600000');
      expect(line).not.toContain('QueryFailedError');
    } finally {
      await relay.stop();
      error.mockRestore();
    }
  });
});

describe('outbox on a task_outbox table made before the seq column', () => {
  const oldSchema = uniqueSchema('outbox_noseq');
  let old: DataSource;
  beforeAll(async () => {
    old = await openSchemaDataSource(oldSchema, {
      entities: [TaskOutbox],
      migrations: [CreateTaskOutbox1767225600000, AddTaskOutboxTraceContext1780272000000],
    });
    await old.runMigrations();
  });
  afterAll(async () => {
    await old?.destroy();
    await dropSchema(oldSchema);
  });

  it('the writer and the relay name the migration that adds it', async () => {
    const write = old.transaction((m) => new OutboxWriter().write(m, message(), { queue: 'q' }));
    await expect(write).rejects.toBeInstanceOf(OutboxTableMissingError);
    await expect(write).rejects.toThrow(/AddTaskOutboxSequence1796601600000/);

    let failed!: (line: string) => void;
    const firstFailure = new Promise<string>((resolve) => (failed = resolve));
    const error = vi.spyOn(Logger.prototype, 'error').mockImplementation((line: unknown) => {
      if (String(line).startsWith('Outbox relay round failed')) failed(String(line));
    });
    const relay = new OutboxRelay(old, asBroker(new RecordingBroker()), {
      pollIntervalMs: 60_000,
      listen: false,
    });
    try {
      relay.start();
      const line = await firstFailure;
      expect(line).toContain('no seq column');
      expect(line).toContain('AddTaskOutboxSequence1796601600000');
    } finally {
      await relay.stop();
      error.mockRestore();
    }
  });
});
