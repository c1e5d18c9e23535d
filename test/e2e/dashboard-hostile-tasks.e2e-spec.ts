import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { hostname } from 'node:os';
import type { INestApplication } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/chromium.js';
import { ADMIN_TOKEN, startDashboardApp } from '../support/dashboard-app.js';
import { startPrefixProxy } from '../support/prefix-proxy.js';

/**
 * Task values another program (or a careless task) leaves in the result backend: markup in the
 * name and arguments, a 10 MB result, control characters and lone surrogates, nesting deeper
 * than JSON.stringify goes. The dashboard, mounted under a global prefix, shows each safely:
 * no markup runs, no console error, and a huge field is cut with a marker that says how big
 * it is and links to the whole value.
 */
// celeryev is global per Redis database: this file owns db 11.
const REDIS = 'redis://127.0.0.1:6379/11';
const suffix = randomUUID().slice(0, 8);
const QUEUE = `dash-hostile-${suffix}`;
const BIG = 10 * 1024 * 1024;

let app: INestApplication;
let base: string;
let appUrl: string;
let browser: Browser;
const redis = new Redis(REDIS);

const ids = {
  markup: randomUUID(),
  big: randomUUID(),
  binary: randomUUID(),
  deep: randomUUID(),
};
const bigResult = `${'é'.repeat(BIG / 2 - 8)}<b>end</b>`;

async function store(id: string, meta: string): Promise<void> {
  await redis.set(`celery-task-meta-${id}`, meta, 'EX', 600);
}

const api = (path: string) =>
  fetch(`${base}/${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });

beforeAll(async () => {
  execFileSync(process.execPath, ['libs/dashboard/scripts/build-ui.mjs'], {
    env: { ...process.env, CELERIAC_QUIET: '1' },
  });
  const xss = (n: number) =>
    `<img src=x onerror="window.__pwned=${n}"><script>window.__pwned=${n}</script>`;
  await store(
    ids.markup,
    JSON.stringify({
      status: 'FAILURE',
      task_id: ids.markup,
      name: xss(1),
      args: [xss(2)],
      kwargs: { [xss(3)]: xss(4) },
      result: { exc_type: 'ValueError', exc_message: [xss(5)], exc_module: 'builtins' },
      traceback: `Traceback (most recent call last):\n${xss(6)}`,
      date_done: new Date().toISOString(),
    }),
  );
  await store(
    ids.big,
    JSON.stringify({
      status: 'SUCCESS',
      task_id: ids.big,
      name: 'reports.export',
      args: ['a'.repeat(300_000)],
      kwargs: {},
      result: bigResult,
      traceback: null,
      date_done: new Date().toISOString(),
    }),
  );
  await store(
    ids.binary,
    `{"status": "SUCCESS", "task_id": "${ids.binary}", "result": "\\u0000\\u0007\\ud800\\udfff\\u001b[31m\\u202e", "name": "bin\\u0000ary"}`,
  );
  await store(
    ids.deep,
    `{"status": "SUCCESS", "task_id": "${ids.deep}", "result": ${'['.repeat(20_000)}1${']'.repeat(20_000)}}`,
  );
  const started = await startDashboardApp({
    broker: REDIS,
    backend: REDIS,
    queue: QUEUE,
    nodename: `dash-hostile-${suffix}@${hostname()}`,
    queues: [QUEUE],
    globalPrefix: 'ops',
  });
  app = started.app;
  appUrl = started.url;
  base = `${started.url}/ops/celeriac`;
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  const keys = [...Object.values(ids).map((id) => `celery-task-meta-${id}`)];
  await redis.del(...keys, ...(await redis.keys(`*${suffix}*`)));
  redis.disconnect();
});

/** Open a task's page as the admin; collect console errors and page errors. */
async function openTask(id: string, at = base): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext();
  await context.addCookies([{ name: 'celeriac_dashboard', value: ADMIN_TOKEN, url: at }]);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(`${m.text()} ${m.location().url}`));
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('response', (r) => r.status() >= 400 && errors.push(`${r.status()} ${r.url()}`));
  await page.goto(`${at}#/tasks/${id}`);
  await page.waitForSelector('#task-title');
  return { page, errors };
}

describe('dashboard task detail with hostile values', () => {
  it('cuts a 10 MB result with a marker of its size, and serves the whole on request', async () => {
    const response = await api(`api/tasks/${ids.big}`);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text.length).toBeLessThan(512 * 1024);
    const task = JSON.parse(text) as {
      result: string;
      args: string;
      truncated: Record<string, number>;
    };
    const fullResult = JSON.stringify(bigResult);
    expect(task.truncated.result).toBe(Buffer.byteLength(fullResult));
    expect(task.truncated.args).toBe(Buffer.byteLength(JSON.stringify(['a'.repeat(300_000)])));
    expect(fullResult.startsWith(task.result)).toBe(true);

    const whole = await api(`api/tasks/${ids.big}/fields/result`);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(whole.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await whole.text()).toBe(fullResult);
    expect((await api(`api/tasks/${ids.big}/fields/nope`)).status).toBe(404);
    expect((await api(`api/tasks/${randomUUID()}/fields/result`)).status).toBe(404);

    const { page, errors } = await openTask(ids.big);
    const marker = page.locator('[data-field="result"] .truncated');
    await marker.waitFor();
    expect(await marker.textContent()).toContain(
      `${Buffer.byteLength(fullResult).toLocaleString('en')} bytes`,
    );
    const href = await marker.locator('a').first().getAttribute('href');
    const download = await page.evaluate(
      (path) => fetch(path).then((r) => r.text().then((t) => t.length)),
      href!,
    );
    expect(download).toBe(fullResult.length);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 60_000);

  it('shows markup in names, arguments, exceptions and tracebacks as text', async () => {
    const { page, errors } = await openTask(ids.markup);
    await page.waitForSelector('[data-field="traceback"]');
    expect(await page.locator('#task-title').textContent()).toContain('<img src=x');
    expect(await page.locator('main img, main script').count()).toBe(0);
    expect(await page.evaluate('typeof window.__pwned')).toBe('undefined');
    const raw = await api(`api/tasks/${ids.markup}/fields/traceback`);
    expect(raw.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await raw.text()).toContain('<script>');
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('renders control characters, lone surrogates and too-deep nesting without an error', async () => {
    for (const id of [ids.binary, ids.deep]) {
      const { page, errors } = await openTask(id);
      await page.waitForSelector('[data-field="result"]');
      expect(errors).toEqual([]);
      await page.context().close();
    }
  });
});

describe('dashboard behind a reverse proxy that strips a path prefix', () => {
  it('loads its assets and API under the prefix the browser sees', async () => {
    const proxy = await startPrefixProxy(appUrl, '/tools');
    try {
      for (const page of [`${proxy.url}/ops/celeriac`, `${proxy.url}/ops/celeriac/`]) {
        const opened = await openTask(ids.big, page);
        await opened.page.locator('[data-field="result"] .truncated').waitFor();
        expect(opened.errors).toEqual([]);
        await opened.page.context().close();
      }
    } finally {
      await proxy.close();
    }
  }, 60_000);
});
