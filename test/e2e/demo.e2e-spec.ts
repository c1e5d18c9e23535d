import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TaskEvents, type TaskEvent } from 'celeriac';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppModule, DASHBOARD_TOKENS } from '../../apps/demo/src/app.module.js';

describe('demo app (embedded defaults: SQLite + memory transports)', () => {
  let app: INestApplication;
  let base: string;
  const received: TaskEvent[] = [];

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: ['error'] });
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
    app
      .get(TaskEvents)
      .on('task-received')
      .subscribe((e) => received.push(e));
  });
  afterAll(async () => {
    await app.close();
  });

  const post = (body: unknown) =>
    fetch(`${base}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('stores an order in one transaction, dispatches orders.process on commit and shows the result', async () => {
    const response = await post({
      customerEmail: 'ada@example.com',
      lines: [{ sku: 'LEEK', quantity: 2, unitPriceCents: 120 }],
    });
    expect(response.status).toBe(201);
    const order = (await response.json()) as { id: number; taskId: string };
    expect(order.taskId).toMatch(/^[0-9a-f-]{36}$/);
    await expect
      .poll(
        async () =>
          (
            (await (await fetch(`${base}/orders/${order.id}`)).json()) as {
              task: { state: string };
            }
          ).task.state,
      )
      .toBe('SUCCESS');
    const view = (await (await fetch(`${base}/orders/${order.id}`)).json()) as {
      order: { status: string; totalCents: number };
      task: { result: { totalCents: number } };
    };
    expect(view.order).toMatchObject({ status: 'processed', totalCents: 240 });
    expect(view.task.result.totalCents).toBe(240);
    await expect
      .poll(() => received.filter((e) => e.name === 'notifications.order_confirmation').length)
      .toBe(1);
  });

  it('dispatches nothing when the request fails after the insert (rollback)', async () => {
    const before = received.length;
    const response = await post({
      customerEmail: 'bob@example.com',
      lines: [{ sku: 'A', quantity: 1, unitPriceCents: 1 }, { sku: '' }],
    });
    expect(response.status).toBe(400);
    await new Promise((r) => setTimeout(r, 200));
    expect(received.length).toBe(before);
  });

  it('mounts the dashboard at /celeriac behind its token guard', async () => {
    expect((await fetch(`${base}/celeriac`)).status).toBe(401);
    const page = await fetch(`${base}/celeriac`, {
      headers: { authorization: `Bearer ${DASHBOARD_TOKENS.admin}` },
    });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('assets/app.js');
    const workers = await fetch(`${base}/celeriac/api/session`, {
      headers: { authorization: `Bearer ${DASHBOARD_TOKENS.admin}` },
    });
    expect(await workers.json()).toMatchObject({ readOnly: false, title: 'Celeriac demo' });
  });
});
