import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import type { INestApplicationContext } from '@nestjs/common';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ControlClient } from 'celeriac';
import { createControlApp } from '../support/control-app.js';
import { PYTHON, PYTHON_FIXTURES } from '../support/control-python.js';

const run = promisify(execFile);

// kombu's global_keyprefix prefixes the pidbox and celeryev channels and the reply lists too.
// A Node worker given it in its broker URL (`?global_keyprefix=`) must answer Python's
// `celery inspect` under that prefix. Db 13 and a prefix of this run only.
const suffix = randomUUID().slice(0, 8);
const PREFIX = `kp-${suffix}:`;
const BASE = 'redis://127.0.0.1:6379/13';
const NODE = `node-kp-${suffix}@test`;
let app: INestApplicationContext;

/** `celery -A control_app <args>` with the prefix in broker_transport_options. */
async function celery(...args: string[]): Promise<string> {
  const env = { ...process.env, CELERY_BROKER_URL: BASE, CONTROL_KEYPREFIX: PREFIX };
  const { stdout, stderr } = await run(PYTHON, ['-m', 'celery', '-A', 'control_app', ...args], {
    timeout: 30_000,
    cwd: PYTHON_FIXTURES,
    env,
  }).catch((error: { stdout?: string; stderr?: string }) => ({
    stdout: error.stdout ?? '',
    stderr: error.stderr ?? '',
  }));
  return `${stdout}\n${stderr}`;
}

beforeAll(async () => {
  app = await createControlApp(
    `${BASE}?global_keyprefix=${encodeURIComponent(PREFIX)}`,
    `kp-queue-${suffix}`,
    NODE,
  );
});

afterAll(async () => {
  await app?.close();
  const redis = new Redis(BASE);
  const keys = await redis.keys(`*${suffix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

it('celery inspect ping / active_queues with the same global_keyprefix reach the Node worker', async () => {
  const ping = await celery('inspect', 'ping', '-d', NODE, '-t', '3');
  expect(ping).toContain(`${NODE}: OK`);
  const queues = await celery('inspect', 'active_queues', '-d', NODE, '-t', '3');
  expect(queues).toContain(`'name': 'kp-queue-${suffix}'`);
});

it('a ControlClient connected with the prefixed URL broadcasts on the prefixed channel', async () => {
  // Where a Python worker with the prefix listens (kombu: prefix + /<db>.celery.pidbox).
  const listener = new Redis(BASE);
  const heard = new Promise<string>((resolve) =>
    listener.on('message', (channel) => resolve(channel)),
  );
  await listener.subscribe(`${PREFIX}/13.celery.pidbox`);
  const client = await ControlClient.connect(
    `${BASE}?global_keyprefix=${encodeURIComponent(PREFIX)}`,
  );
  try {
    const pongs = await client.ping({ destination: [NODE], timeout: 3000 });
    expect(pongs[NODE]).toEqual({ ok: 'pong' });
    const silence = new Promise<string>((resolve) => setTimeout(() => resolve('nothing'), 3000));
    await expect(Promise.race([heard, silence])).resolves.toBe(`${PREFIX}/13.celery.pidbox`);
  } finally {
    await client.close();
    listener.disconnect();
  }
});
