import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../support/interop-build.js';
import { runCeleriac } from '../support/interop-processes.js';
import { freePort } from '../support/redis-test-server.js';

/**
 * Every broker-touching `celeriac` command against a Redis that is not there: a one-line
 * reason on stderr and exit 1 within 2 s of what the CLI takes to start, not after the
 * library's reconnect window (10 s per connection; a hang is killed at 45 s, code null).
 */
let url: string;
/** Milliseconds the CLI takes to start and exit on a usage error (no connection). */
let startup: number;

beforeAll(async () => {
  await ensureBuilt();
  url = `redis://127.0.0.1:${await freePort()}/0`;
  const started = Date.now();
  expect((await runCeleriac(['purge'])).code).toBe(2);
  startup = Date.now() - started;
}, 300_000);

const COMMANDS: [what: string, args: string[]][] = [
  ['inspect ping', ['inspect', 'ping', '--timeout', '1']],
  ['inspect stats', ['inspect', 'stats', '--timeout', '1']],
  ['schedule ls', ['schedule', 'ls']],
  ['queues', ['queues']],
  ['result', ['result', 'no-such-task']],
  ['call', ['call', 'no.such.task']],
];

describe('celeriac commands with Redis unreachable', () => {
  it.each(COMMANDS)(
    '%s exits 1 with the reason, without hanging',
    async (_what, args) => {
      const started = Date.now();
      const run = await runCeleriac([...args, '--broker', url, '--backend', url]);
      const took = Date.now() - started;
      expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 1, stdout: '' });
      expect(run.stderr).toMatch(/Redis at redis:\/\/127\.0\.0\.1:\d+\/0.*ECONNREFUSED/);
      expect(took - startup).toBeLessThan(2_000);
    },
    60_000,
  );
});

describe('celeriac commands on a Redis database that does not exist', () => {
  // Redis has 16 databases by default: SELECT 99 fails. The client went on in database 0 and
  // printed its queues and results as if they were those of the URL's database.
  it.each([
    ['queues', ['queues', 'celery']],
    ['result', ['result', 'no-such-task']],
  ])(
    '%s exits 1 naming the error instead of reading database 0',
    async (_what, args) => {
      const db99 = 'redis://127.0.0.1:6379/99';
      const run = await runCeleriac([...args, '--broker', db99, '--backend', db99]);
      expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 1, stdout: '' });
      expect(run.stderr).toMatch(/DB index is out of range/);
    },
    60_000,
  );
});
