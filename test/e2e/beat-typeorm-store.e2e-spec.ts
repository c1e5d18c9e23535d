import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DataSource } from 'typeorm';
import {
  BeatLeaseRow,
  BeatPendingRow,
  BeatScheduleRow,
  CreateBeatTables1780358400000,
  TypeOrmScheduleStore,
} from 'celeriac/typeorm';
import { describeScheduleStoreConformance } from 'celeriac/conformance';
import { dropSchema, openSchemaDataSource, uniqueSchema } from '../support/typeorm-postgres.js';

const schema = uniqueSchema('beat');
const channel = `beat_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
let dataSource: DataSource;

beforeAll(async () => {
  dataSource = await openSchemaDataSource(schema, {
    entities: [BeatScheduleRow, BeatPendingRow, BeatLeaseRow],
    migrations: [CreateBeatTables1780358400000],
  });
  await dataSource.runMigrations();
});
afterAll(async () => {
  await dataSource?.destroy();
  await dropSchema(schema);
});

describeScheduleStoreConformance('typeorm (PostgreSQL)', {
  create: () => new TypeOrmScheduleStore(dataSource, { channel }),
});

describe('typeorm schedule store and rows it cannot read', () => {
  it('lists the readable schedules when one row holds bad JSON (a hand edit), with a warning', async () => {
    const store = new TypeOrmScheduleStore(dataSource, { channel });
    const good = `good-${randomUUID()}`;
    const bad = `bad-${randomUUID()}`;
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    await store.connect();
    try {
      await store.save(
        {
          name: good,
          task: 't',
          schedule: { every: 60 },
          args: [],
          kwargs: {},
          enabled: true,
          source: 'api',
        },
        { nextFireAt: 1000, lastRunAt: null, lastTaskId: null, totalRuns: 0, rev: 0 },
      );
      await dataSource.query(
        `INSERT INTO "${schema}".beat_schedule (name, definition, state, rev) VALUES ($1, $2, $3, 1)`,
        [bad, '{"name": "half', '{}'],
      );
      const names = (await store.list()).map((stored) => stored.definition.name);
      expect(names).toContain(good);
      expect(names).not.toContain(bad);
      expect(await store.get(bad)).toBeNull();
      // Unreadable, it still exists: a create-only save is refused, a plain one replaces it.
      const fixed = {
        name: bad,
        task: 't',
        schedule: { every: 60 },
        args: [],
        kwargs: {},
        enabled: true,
        source: 'api' as const,
      };
      const fresh = { nextFireAt: 1000, lastRunAt: null, lastTaskId: null, totalRuns: 0, rev: 0 };
      expect(await store.save(fixed, fresh, { ifRev: 0 })).toBe(false);
      expect(await store.save(fixed, fresh)).toBe(true);
      expect((await store.get(bad))?.definition).toEqual(fixed);
      expect(warn.mock.calls.map((call) => String(call[0]))).toContainEqual(
        expect.stringContaining(`schedule ${bad}`),
      );
    } finally {
      warn.mockRestore();
      await store.remove(good);
      await store.remove(bad);
      await store.close();
    }
  });

  it('skips rows that are valid JSON but not schedules or fires, with a warning', async () => {
    const store = new TypeOrmScheduleStore(dataSource, { channel });
    const names = [`null-${randomUUID()}`, `other-${randomUUID()}`];
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    await store.connect();
    try {
      await dataSource.query(
        `INSERT INTO "${schema}".beat_schedule (name, definition, state, rev) ` +
          `VALUES ($1, 'null', '{}', 1), ($2, '{"name":"x","task":"t","schedule":{"every":1}}', '{}', 1)`,
        names,
      );
      await dataSource.query(
        `INSERT INTO "${schema}".beat_pending (task_id, name, fire) VALUES ($1, $2, 'null')`,
        [randomUUID(), names[0]],
      );
      const listed = (await store.list()).map((stored) => stored.definition.name);
      expect(listed).not.toContain(names[0]);
      expect(listed).not.toContain(names[1]);
      expect(await store.get(names[0]!)).toBeNull();
      const pending = await store.pending();
      expect(pending.filter((fire) => fire === null || fire.name === names[0])).toEqual([]);
      expect(warn.mock.calls.map((call) => String(call[0]))).toContainEqual(
        expect.stringContaining(
          `schedule ${names[0]}: its stored row is not readable (its definition is null`,
        ),
      );
    } finally {
      warn.mockRestore();
      await dataSource.query(`DELETE FROM "${schema}".beat_pending WHERE name = $1`, [names[0]]);
      for (const name of names) await store.remove(name);
      await store.close();
    }
  });
});
