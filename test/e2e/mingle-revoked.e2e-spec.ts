import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import { ControlClient, RevokedTasks } from 'celeriac';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usePrivateVhost } from '../support/amqp-vhost.js';
import { createControlApp } from '../support/control-app.js';
import {
  celeryCli,
  eventually,
  killChild,
  PYTHON,
  PYTHON_FIXTURES,
} from '../support/control-python.js';

// Celery's mingle between Node workers and a real Celery 5.2.6 worker on a private vhost, with
// no Redis (revocations live in each worker's memory): the Python worker's `hello` at start-up
// gets the Node worker's revocations (stamped as Python's LimitedSet requires) and carries the
// ids a Python worker kept in its state db to the Node worker; a Node worker that starts later
// asks the running ones.

const vhost = usePrivateVhost('celeriac-mingle');
const suffix = randomUUID().slice(0, 8);
const NODE = `node-mingle-${suffix}@${hostname()}`;
const PY = `py-mingle-${suffix}@${hostname()}`;
const STATE_DB = join(tmpdir(), `celeriac-mingle-${suffix}`);

let app: INestApplicationContext;
let control: ControlClient;
let python: ChildProcess | undefined;
let pythonLog = '';

beforeAll(async () => {
  app = await createControlApp(vhost.url, `mingle-node-${suffix}`, NODE, { taskEvents: false });
  control = await ControlClient.connect(vhost.url);
}, 60_000);

afterAll(async () => {
  await killChild(python);
  await control?.close();
  await app?.close();
  for (const ext of ['', '.db', '.dat', '.dir', '.bak'])
    await rm(`${STATE_DB}${ext}`, { force: true });
}, 60_000);

/** A Celery worker of control_app.py with mingle (Celery's default) and a state db. */
async function startPython(): Promise<void> {
  pythonLog = '';
  python = spawn(
    PYTHON,
    [
      ...['-m', 'celery', '-A', 'control_app', 'worker', '-Q', `mingle-py-${suffix}`, '-n', PY],
      ...['-c', '1', '-l', 'INFO', '--statedb', STATE_DB],
    ],
    {
      cwd: PYTHON_FIXTURES,
      env: { ...process.env, CELERY_BROKER_URL: vhost.url, PYTHONUNBUFFERED: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const collect = (chunk: Buffer): void => void (pythonLog += chunk.toString('utf8'));
  python.stdout?.on('data', collect);
  python.stderr?.on('data', collect);
  await eventually(
    async () => PY in (await control.ping({ destination: [PY], timeout: 1000 })),
    40_000,
    'the Python worker to answer ping',
  ).catch((error: Error) => {
    throw new Error(`${error.message}\n--- Python worker output ---\n${pythonLog}`);
  });
}

async function pythonRevoked(): Promise<string[]> {
  const out = await celeryCli(vhost.url, 'inspect', 'revoked', '-d', PY, '-j', '--timeout', '3');
  const replies = JSON.parse(out.slice(out.indexOf('{'), out.lastIndexOf('}') + 1)) as Record<
    string,
    string[]
  >;
  return replies[PY] ?? [];
}

describe('mingle between Node and Python workers', () => {
  it('a Python worker starting beside a Node worker learns its revocations', async () => {
    const id = randomUUID();
    await app.get(RevokedTasks).revoke(id);
    await startPython();
    expect(pythonLog).toMatch(/mingle: sync with 1 nodes/);
    expect(pythonLog).not.toMatch(/sync with .* failed|Expecting float/);
    expect(await pythonRevoked()).toContain(id);
  }, 90_000);

  it('a Node worker that starts later learns the revocations of the running ones (no Redis)', async () => {
    const id = randomUUID();
    await app.get(RevokedTasks).revoke(id);
    const late = await createControlApp(vhost.url, `mingle-late-${suffix}`, `late-${NODE}`, {
      taskEvents: false,
    });
    try {
      expect(late.get(RevokedTasks).get(id)).toMatchObject({ id, reason: 'revoked' });
    } finally {
      await late.close();
    }
  }, 60_000);

  it('a Python worker restarted with its state db tells the Node worker the ids it kept', async () => {
    const id = randomUUID();
    const out = await celeryCli(vhost.url, 'control', 'revoke', id, '-d', PY, '--timeout', '3');
    expect(out).toContain(`tasks ${id} flagged as revoked`);
    expect(app.get(RevokedTasks).get(id)).toBeUndefined();
    await killChild(python); // a warm shutdown writes the state db
    await startPython();
    expect(app.get(RevokedTasks).get(id)).toMatchObject({ id, reason: 'revoked' });
    expect(
      (await control.inspect<string[]>('revoked', {}, { destination: [NODE], timeout: 2000 }))[
        NODE
      ],
    ).toContain(id);
  }, 90_000);
});
