import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { INestApplication } from '@nestjs/common';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { TaskClient } from 'celeriac';
import type { TaskSummary } from '@celeriac/dashboard';
import { eventually } from '../support/control-python.js';
import { ADMIN_TOKEN, startDashboardApp } from '../support/dashboard-app.js';

// celeryev is global per Redis database: this file owns db 8.
const BROKER = 'redis://127.0.0.1:6379/8';
const suffix = randomUUID().slice(0, 8);
const QUEUE = `dash-history-${suffix}`;
const KEY = `celeriac:dashboard:history:${suffix}`;
const apps: INestApplication[] = [];

async function start(): Promise<{ app: INestApplication; url: string }> {
  const started = await startDashboardApp({
    broker: BROKER,
    backend: BROKER,
    queue: QUEUE,
    nodename: `dash-history-${suffix}@${hostname()}`,
    queues: [QUEUE],
    dashboard: { history: { key: KEY, size: 5 } },
  });
  apps.push(started.app);
  return started;
}

async function search(
  url: string,
  query: string,
): Promise<{ total: number; items: TaskSummary[] }> {
  const response = await fetch(`${url}/celeriac/api/tasks?${query}`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  return (await response.json()) as { total: number; items: TaskSummary[] };
}

afterAll(async () => {
  for (const app of apps) await app.close().catch(() => undefined);
  const redis = new Redis(BROKER);
  const keys = await redis.keys(`*${suffix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

describe('dashboard history', () => {
  it('keeps the last finished tasks in a capped list and shows them after a restart', async () => {
    const first = await start();
    const tasks = first.app.get(TaskClient);
    const sent = [];
    for (let i = 0; i < 8; i++)
      sent.push(await tasks.send('node.echo', [`hist-${suffix}-${i}`], {}, { queue: QUEUE }));
    await eventually(
      async () => (await search(first.url, `q=hist-${suffix}&state=SUCCESS`)).total === 8,
      20_000,
      'eight finished tasks in the dashboard',
    );
    await first.app.close();

    const redis = new Redis(BROKER);
    expect(await redis.llen(KEY)).toBe(5);
    redis.disconnect();

    const second = await start();
    const page = await search(second.url, `q=hist-${suffix}`);
    expect(page.total).toBe(5);
    expect(page.items.every((task) => task.state === 'SUCCESS')).toBe(true);
    // The newest five, newest first.
    expect(page.items.map((task) => task.args)).toEqual(
      [7, 6, 5, 4, 3].map((i) => `('hist-${suffix}-${i}',)`),
    );
    const byId = await search(second.url, `id=${sent[7]!.id}`);
    expect(byId.items[0]?.worker).toContain('dash-history');
  });

  it('serves a task it no longer holds from the result backend', async () => {
    const { app, url } = await start();
    const old = await app
      .get(TaskClient)
      .send('node.echo', [`old-${suffix}`], {}, { queue: QUEUE });
    await old.get({ timeout: 10_000 });
    const response = await fetch(`${url}/celeriac/api/tasks/${old.id}`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(response.status).toBe(200);
    const none = await fetch(`${url}/celeriac/api/tasks/${randomUUID()}`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(none.status).toBe(404);
  });
});
