import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { expect } from 'vitest';
import type { DataSource } from 'typeorm';
import { Schedules, Task, TaskContext, TaskQueueBeatModule } from 'celeriac';
import { TaskQueueDjangoBeatModule } from 'celeriac/typeorm';
import type { DjangoBeatTables } from './django-beat.js';
import { createTaskQueueApp } from './task-queue-app.js';

/** A run of the app's task: its args and the schedule named in its message. */
export interface DjangoBeatRun {
  args: unknown[];
  schedule: unknown;
}

/** A Nest app whose beat fires django-celery-beat's rows into its own worker (memory broker). */
export interface DjangoBeatApp {
  app: TestingModule;
  schedules: Schedules;
  runs: DjangoBeatRun[];
  queue: string;
  /** The task name the rows send (`<prefix>.tick`). */
  task: string;
}

/**
 * Boot the app on `dataSource` (the Django database), polling the tables every 200 ms; the
 * beat's store is in memory unless `store` (a URL) is given.
 */
export async function startDjangoBeatApp(
  dataSource: DataSource,
  prefix: string,
  store?: string,
): Promise<DjangoBeatApp> {
  const queue = `${prefix}-${randomUUID().slice(0, 8)}`;
  const task = `${prefix}.tick`;
  const runs: DjangoBeatRun[] = [];

  @Injectable()
  class DjangoTasks {
    constructor(private readonly context: TaskContext) {}

    @Task(task)
    tick(...args: unknown[]): void {
      runs.push({ args, schedule: this.context.headers.periodic_task_name });
    }
  }

  const app = await createTaskQueueApp(
    {
      broker: `memory://${queue}`,
      resultBackend: false,
      defaultQueue: queue,
      events: { enabled: false },
      worker: { enabled: true, queues: [queue] },
    },
    {
      imports: [
        TaskQueueBeatModule.forRoot({
          store: store ?? `memory://${queue}`,
          ...(store ? { keyPrefix: `test:beat:${queue}:`, renewMs: 200, leaseMs: 1000 } : {}),
        }),
        TaskQueueDjangoBeatModule.forRoot({ dataSource, pollInterval: 200 }),
      ],
      providers: [DjangoTasks],
    },
  );
  return { app, schedules: app.get(Schedules), runs, queue, task };
}

/** An interval row made in Django fires with its args and its name as periodic_task_name. */
export async function expectIntervalRowFires(
  tables: DjangoBeatTables,
  beat: DjangoBeatApp,
  name: string,
): Promise<void> {
  await tables.call('interval', {
    name,
    task: beat.task,
    every: 1,
    period: 'seconds',
    args: [7, 'x'],
    queue: beat.queue,
  });
  await expect.poll(() => beat.runs.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
  expect(beat.runs[0]).toEqual({ args: [7, 'x'], schedule: name });
  expect(await beat.schedules.get(name)).toMatchObject({
    source: 'django',
    schedule: { every: 1 },
    enabled: true,
  });
}

/** Disabling row `name` in Django stops its schedule; deleting it removes the schedule. */
export async function expectDisableThenDelete(
  tables: DjangoBeatTables,
  beat: DjangoBeatApp,
  name: string,
): Promise<void> {
  await tables.call('update', { name, enabled: false });
  await expect
    .poll(async () => (await beat.schedules.get(name))?.nextFireAt, { timeout: 5_000 })
    .toBeNull();
  await tables.call('delete', { name });
  await expect.poll(() => beat.schedules.get(name), { timeout: 5_000 }).toBeNull();
}

/** A crontab row made in Django (every 5 min, 8-17 h, weekdays, Berlin) maps to that cron line. */
export async function expectCrontabRowMaps(
  tables: DjangoBeatTables,
  beat: DjangoBeatApp,
  name: string,
): Promise<void> {
  await tables.call('crontab', {
    name,
    task: beat.task,
    minute: '*/5',
    hour: '8-17',
    day_of_week: 'mon-fri',
    day_of_month: '*',
    month_of_year: '*',
    timezone: 'Europe/Berlin',
    kwargs: { report: true },
    priority: 3,
    expire_seconds: 120,
    queue: beat.queue,
  });
  await expect
    .poll(() => beat.schedules.get(name), { timeout: 5_000 })
    .toMatchObject({
      source: 'django',
      schedule: { cron: '*/5 8-17 * * mon-fri', tz: 'Europe/Berlin' },
      definition: { kwargs: { report: true }, priority: 3, expires: 120, queue: beat.queue },
      enabled: true,
    });
}
