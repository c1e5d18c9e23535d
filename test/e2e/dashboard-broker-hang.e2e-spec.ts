import type { INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startDashboardApp } from '../support/dashboard-app.js';
import { PausableProxy } from '../support/pausable-proxy.js';
import { deleteKeys, REDIS_URL } from '../support/redis-test-server.js';

/**
 * The queues view while the broker hangs (connection open, no answer): its API answers within
 * a few seconds with 502 and the reason, instead of holding each poll of the page for half a
 * minute or more (remote control, parked messages, statistics, then each queue's length, one
 * broker timeout after the other).
 */
describe('dashboard queues while the broker does not answer', () => {
  const queue = `dash-hang-${randomUUID()}`;
  let app: INestApplication;
  let url: string;
  let proxy: PausableProxy;

  beforeAll(async () => {
    proxy = await PausableProxy.start(6379);
    const broker = `redis://127.0.0.1:${proxy.port}/0`;
    ({ app, url } = await startDashboardApp({
      broker,
      backend: REDIS_URL,
      queue,
      nodename: `dash-hang-${randomUUID()}@h`,
      queues: [queue],
    }));
  });

  afterAll(async () => {
    proxy?.resume();
    await app?.close();
    await proxy?.close();
    await deleteKeys(REDIS_URL, queue, `${queue}.dlq`, `_kombu.binding.${queue}`);
  });

  const queues = () =>
    fetch(`${url}/celeriac/api/queues`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      signal: AbortSignal.timeout(50_000),
    });

  it('answers 502 with the reason within seconds, and the figures again once it is back', async () => {
    expect((await queues()).status).toBe(200);

    proxy.pause();
    const started = Date.now();
    const hung = await queues();
    const took = Date.now() - started;
    expect(hung.status).toBe(502);
    expect(((await hung.json()) as { message: string }).message).toMatch(
      /broker did not answer within \d+ ms/,
    );
    expect(took).toBeLessThan(8_000);

    proxy.resume();
    await expect.poll(async () => (await queues()).status, { timeout: 30_000 }).toBe(200);
  }, 90_000);
});
