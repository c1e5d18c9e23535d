import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import type { ChildProcess } from 'node:child_process';
import type { INestApplication } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AsyncResult,
  getResultBackendToken,
  type ResultBackend,
  Schedules,
  TaskClient,
} from 'celeriac';
import { launchChromium } from '../support/chromium.js';
import { ADMIN_TOKEN, startDashboardApp, VIEWER_TOKEN } from '../support/dashboard-app.js';
import { celeryCli, killChild, startPythonWorker } from '../support/control-python.js';

// Celery's celeryev / pidbox names are global per Redis database: this file owns db 9.
const BROKER = 'redis://127.0.0.1:6379/9';
const suffix = randomUUID().slice(0, 8);
const NODE = `dash-node-${suffix}@${hostname()}`;
const PY = `dash-py-${suffix}@${hostname()}`;
const NODE_QUEUE = `dash-node-${suffix}`;
const PY_QUEUE = `dash-py-${suffix}`;
const IDLE_QUEUE = `dash-idle-${suffix}`;

let app: INestApplication;
let url: string;
let python: ChildProcess | undefined;
let browser: Browser;
const requests: string[] = [];

async function openAs(token: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  await context.addCookies([{ name: 'celeriac_dashboard', value: token, url }]);
  const page = await context.newPage();
  page.on('request', (request) => requests.push(request.url()));
  await page.goto(`${url}/celeriac`);
  await page.waitForSelector('header h1');
  return { context, page };
}

/** Wait until the task table shows exactly these task ids. */
async function untilRows(page: Page, ids: string[]): Promise<void> {
  const deadline = Date.now() + 10_000;
  let shown: (string | null)[] = [];
  while (Date.now() < deadline) {
    shown = await page.$$eval('tr[data-task-id]', (rows) =>
      rows.map((r) => r.getAttribute('data-task-id')),
    );
    if (JSON.stringify(shown) === JSON.stringify(ids)) return;
    await page.waitForTimeout(50);
  }
  expect(shown).toEqual(ids);
}

/** axe-core's violations on the page as it is now. */
async function axeViolations(page: Page): Promise<{ id: string; impact: string; nodes: number }[]> {
  const source = readFileSync(
    createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
    'utf8',
  );
  await page.evaluate(source);
  return page.evaluate(
    `axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length })))`,
  );
}

/** The text of a queue's cell (`ready`, `dead-letters`). */
const queueCell = (queue: string, field: string) =>
  `tr[data-queue="${queue}"] td[data-field="${field}"]`;

async function untilText(page: Page, selector: string, text: string): Promise<void> {
  await page.waitForFunction(
    ([sel, want]) =>
      (
        globalThis as unknown as {
          document: { querySelector(s: string): { textContent: string } | null };
        }
      ).document
        .querySelector(sel!)
        ?.textContent?.trim() === want,
    [selector, text],
    { timeout: 15_000 },
  );
}

const row = (id: string, state?: string) =>
  `tr[data-task-id="${id}"]${state ? `[data-state="${state}"]` : ''}`;

beforeAll(async () => {
  // The page is what the build bundles: bundle the current UI sources (esbuild, ~0.1 s).
  execFileSync(process.execPath, ['libs/dashboard/scripts/build-ui.mjs'], {
    env: { ...process.env, CELERIAC_QUIET: '1' },
  });
  python = startPythonWorker(BROKER, PY_QUEUE, PY, BROKER);
  ({ app, url } = await startDashboardApp({
    broker: BROKER,
    backend: BROKER,
    queue: NODE_QUEUE,
    nodename: NODE,
    queues: [NODE_QUEUE, PY_QUEUE, IDLE_QUEUE],
    dashboard: { history: { key: `celeriac:dashboard:history:${suffix}` } },
  }));
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await killChild(python);
  const redis = new Redis(BROKER);
  const keys = await redis.keys(`*${suffix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

describe('dashboard access', () => {
  it('answers 401 without a token, on the page, the API and the stream', async () => {
    for (const path of ['/celeriac', '/celeriac/api/tasks', '/celeriac/api/stream']) {
      const response = await fetch(`${url}${path}`);
      expect(response.status, path).toBe(401);
    }
    const post = await fetch(`${url}/celeriac/api/queues/${IDLE_QUEUE}/purge`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ confirm: true }),
    });
    expect(post.status).toBe(401);
  });

  it('refuses read-only users on actions (403) and asks admins to confirm (400)', async () => {
    const post = (token: string, body: unknown) =>
      fetch(`${url}/celeriac/api/queues/${IDLE_QUEUE}/purge`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
      });
    expect((await post(VIEWER_TOKEN, { confirm: true })).status).toBe(403);
    expect((await post(ADMIN_TOKEN, {})).status).toBe(400);
    expect((await post(ADMIN_TOKEN, { confirm: true })).status).toBe(200);
  });
});

describe('dashboard in chromium', () => {
  it('shows a mixed Python + Node task stream live, and finds tasks by id and by args', async () => {
    const { context, page } = await openAs(ADMIN_TOKEN);
    const tasks = app.get(TaskClient);
    const needle = `needle-${suffix}`;
    const node = await tasks.send('node.echo', [needle], {}, { queue: NODE_QUEUE });
    const py = await tasks.send('py.add', [20, 22], {}, { queue: PY_QUEUE });
    // A Python producer too: `celery call`.
    const out = await celeryCli(BROKER, 'call', 'py.add', '--args', '[1, 2]', '--queue', PY_QUEUE);
    const pyCalled = out.trim().split('\n')[0]!.trim();
    await page.waitForSelector(row(node.id, 'SUCCESS'), { timeout: 20_000 });
    await page.waitForSelector(row(py.id, 'SUCCESS'), { timeout: 30_000 });
    await page.waitForSelector(row(pyCalled, 'SUCCESS'), { timeout: 20_000 });
    expect(await page.textContent(row(py.id))).toContain(PY);
    expect(await page.textContent(row(node.id))).toContain(NODE);

    await page.click('a[href="#/workers"]');
    await page.waitForSelector(`tr[data-worker="${PY}"]`);
    await page.waitForSelector(`tr[data-worker="${NODE}"]`);
    expect(await page.textContent(`tr[data-worker="${PY}"]`)).toContain('py-celery');
    expect(await page.textContent(`tr[data-worker="${NODE}"]`)).toContain('celeriac');
    // Pool and queues come from remote control (inspect stats / active_queues).
    await untilText(page, `tr[data-worker="${PY}"] td[data-field="queues"]`, PY_QUEUE);
    await untilText(page, `tr[data-worker="${NODE}"] td[data-field="queues"]`, NODE_QUEUE);

    await page.click('a[href="#/tasks"]');
    await page.fill('input[name="q"]', py.id);
    await page.click('button[type="submit"]');
    await untilRows(page, [py.id]);
    await page.fill('input[name="q"]', needle);
    await page.click('button[type="submit"]');
    await untilRows(page, [node.id]);
    await page.click(`${row(node.id)} a`);
    await page.waitForSelector('#task-title');
    expect(await page.textContent('.detail')).toContain(needle);
    await context.close();
  });
});

describe('dashboard actions from the page', () => {
  it('terminates a running task', async () => {
    const { context, page } = await openAs(ADMIN_TOKEN);
    page.on('dialog', (dialog) => void dialog.accept());
    const slow = await app.get(TaskClient).send('node.slow', [30_000], {}, { queue: NODE_QUEUE });
    await page.waitForSelector(row(slow.id, 'STARTED'), { timeout: 20_000 });
    await page.click(`${row(slow.id)} a`);
    await page.click('button:has-text("Terminate")');
    await page.waitForSelector('#task-title .s-REVOKED', { timeout: 15_000 });
    const backend = app.get<ResultBackend>(getResultBackendToken());
    expect(await new AsyncResult(slow.id, backend).state()).toBe('REVOKED');
    await context.close();
  });

  it('redrives and purges dead letters and purges a queue', async () => {
    const { context, page } = await openAs(ADMIN_TOKEN);
    page.on('dialog', (dialog) => void dialog.accept());
    const tasks = app.get(TaskClient);
    // Two dead letters of the idle queue (no worker consumes it).
    await tasks.send('node.echo', ['dead-1'], {}, { queue: `${IDLE_QUEUE}.dlq` });
    await tasks.send('node.echo', ['dead-2'], {}, { queue: `${IDLE_QUEUE}.dlq` });
    await page.click('a[href="#/queues"]');
    await page.click('button:has-text("Refresh")');
    await untilText(page, queueCell(IDLE_QUEUE, 'dead-letters'), '2');
    await page.click(`tr[data-queue="${IDLE_QUEUE}"] button:has-text("Redrive dead letters")`);
    await untilText(page, queueCell(IDLE_QUEUE, 'dead-letters'), '0');
    await untilText(page, queueCell(IDLE_QUEUE, 'ready'), '2');
    await page.click(`tr[data-queue="${IDLE_QUEUE}"] button:has-text("Purge")`);
    await untilText(page, queueCell(IDLE_QUEUE, 'ready'), '0');
    await tasks.send('node.echo', ['dead-3'], {}, { queue: `${IDLE_QUEUE}.dlq` });
    await page.click('button:has-text("Refresh")');
    await untilText(page, queueCell(IDLE_QUEUE, 'dead-letters'), '1');
    await page.click(`tr[data-queue="${IDLE_QUEUE}"] button:has-text("Purge dead letters")`);
    await untilText(page, queueCell(IDLE_QUEUE, 'dead-letters'), '0');
    await context.close();
  });
});

describe('dashboard schedules', () => {
  it('pauses, resumes and triggers a schedule from the page', async () => {
    const schedules = app.get(Schedules);
    const name = `dash-hourly-${suffix}`;
    await schedules.add(name, 'node.echo', '0 * * * *', {
      args: [`beat-${suffix}`],
      queue: NODE_QUEUE,
    });
    const { context, page } = await openAs(ADMIN_TOKEN);
    page.on('dialog', (dialog) => void dialog.accept());
    await page.click('a[href="#/schedules"]');
    const scheduleRow = `tr[data-schedule="${name}"]`;
    await page.click(`${scheduleRow} button:has-text("Pause")`);
    await page.waitForSelector(`${scheduleRow} button:has-text("Resume")`);
    expect((await schedules.get(name))?.enabled).toBe(false);
    await page.click(`${scheduleRow} button:has-text("Resume")`);
    await page.waitForSelector(`${scheduleRow} button:has-text("Pause")`);
    expect((await schedules.get(name))?.enabled).toBe(true);
    await page.click(`${scheduleRow} button:has-text("Trigger now")`);
    await page.waitForSelector('.notice:has-text("Sent as")');
    const taskId = (await page.textContent('.notice'))!.match(/Sent as ([0-9a-f-]+)/)![1]!;
    await page.click('a[href="#/tasks"]');
    await page.waitForSelector(row(taskId, 'SUCCESS'), { timeout: 20_000 });
    await context.close();
  });
});

describe('dashboard for a read-only user', () => {
  it('shows no action anywhere', async () => {
    const { context, page } = await openAs(VIEWER_TOKEN);
    await page.waitForSelector('text=read-only');
    const done = await app.get(TaskClient).send('node.echo', ['ro'], {}, { queue: NODE_QUEUE });
    await page.waitForSelector(row(done.id, 'SUCCESS'), { timeout: 20_000 });
    const views: [string, string][] = [
      ['#/queues', 'tr[data-queue]'],
      ['#/schedules', 'main table'],
      ['#/workers', 'tr[data-worker]'],
      [`#/tasks/${done.id}`, '.detail'],
    ];
    for (const [view, loaded] of views) {
      await page.goto(`${url}/celeriac${view}`);
      await page.waitForSelector(loaded);
      const actions = await page.$$(
        'main button:has-text("Purge"), main button:has-text("Redrive"), main button:has-text("Ping"), main button:has-text("Shut down"), main button:has-text("Revoke"), main button:has-text("Terminate"), main button:has-text("Retry"), main button:has-text("Pause"), main button:has-text("Resume"), main button:has-text("Trigger")',
      );
      expect(actions.length, view).toBe(0);
    }
    await context.close();
  });
});

describe('dashboard page quality', () => {
  it('has no critical axe-core violation in any view', async () => {
    const { context, page } = await openAs(ADMIN_TOKEN);
    const found: Record<string, unknown[]> = {};
    for (const view of ['#/tasks', '#/workers', '#/queues', '#/schedules', '#/charts']) {
      await page.click(`a[href="${view}"]`);
      await page.waitForSelector('main h2');
      const violations = await axeViolations(page);
      found[view] = violations.filter((v) => v.impact === 'critical' || v.impact === 'serious');
    }
    expect(found).toEqual({
      '#/tasks': [],
      '#/workers': [],
      '#/queues': [],
      '#/schedules': [],
      '#/charts': [],
    });
    // `DASHBOARD_SCREENSHOT=docs/dashboard.png` refreshes the README's picture.
    if (process.env.DASHBOARD_SCREENSHOT) {
      await page.setViewportSize({ width: 1280, height: 720 });
      await page.click('a[href="#/tasks"]');
      await page.waitForSelector('tr[data-task-id]');
      await page.screenshot({ path: process.env.DASHBOARD_SCREENSHOT });
    }
    await context.close();
  });

  it('made no request outside the app (no CDN, fonts or telemetry)', () => {
    expect(requests.length).toBeGreaterThan(10);
    expect(requests.filter((request) => !request.startsWith(`${url}/`))).toEqual([]);
  });
});
