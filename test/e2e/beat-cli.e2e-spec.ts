import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_BIN, ensureBuilt, ROOT } from '../support/interop-build.js';
import { ManagedProcess, runCeleriac, stopAll, uniqueName } from '../support/interop-processes.js';
import { deleteKeys, REDIS_URL } from '../support/redis-test-server.js';
import { parseExposition, sampleValue } from '../support/metrics-scrape.js';

/** `celeriac schedule ...` and `celeriac beat` (issue 19) against the local Redis. */
const PREFIX = `test:beat:${uniqueName('cli')}:`;
const QUEUE = uniqueName('beat-cli');
const ENV = { CELERIAC_BROKER: REDIS_URL };
const FLAGS = ['--key-prefix', PREFIX];

let redis: Redis;

beforeAll(async () => {
  await ensureBuilt();
  redis = new Redis(REDIS_URL);
});

afterAll(async () => {
  await stopAll();
  await redis.del(QUEUE);
  redis.disconnect();
  await deleteKeys(REDIS_URL, PREFIX);
});

describe('celeriac schedule and celeriac beat', () => {
  it('adds, lists, pauses, resumes, triggers and removes a schedule', async () => {
    const add = await runCeleriac(
      [
        'schedule',
        'add',
        'cli-tick',
        'e2e.cli_tick',
        '--every',
        '1',
        '--queue',
        QUEUE,
        '--args',
        '[7]',
        ...FLAGS,
      ],
      ENV,
    );
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout).toMatch(/^cli-tick\te2e\.cli_tick\tevery 1s\tactive\tnext=/);
    const ls = await runCeleriac(['schedule', 'ls', '--json', ...FLAGS], ENV);
    expect(JSON.parse(ls.stdout.trim())).toMatchObject({ name: 'cli-tick', enabled: true });
    expect((await runCeleriac(['schedule', 'pause', 'cli-tick', ...FLAGS], ENV)).stdout).toContain(
      '\tpaused\t',
    );
    expect((await runCeleriac(['schedule', 'resume', 'cli-tick', ...FLAGS], ENV)).stdout).toContain(
      '\tactive\t',
    );
    const trigger = await runCeleriac(['schedule', 'trigger', 'cli-tick', ...FLAGS], ENV);
    expect(trigger.stdout.trim()).toMatch(/^[0-9a-f-]{36}$/);
    expect(await redis.llen(QUEUE)).toBe(1);
    const bad = await runCeleriac(['schedule', 'add', 'x', 'y', ...FLAGS], ENV);
    expect(bad.code).toBe(2);
    // An unknown name is not a command-line mistake: one line, exit 1, no usage (as pause).
    for (const action of ['rm', 'pause']) {
      const unknown = await runCeleriac(['schedule', action, 'no-such-schedule', ...FLAGS], ENV);
      expect(unknown.code, action).toBe(1);
      expect(unknown.stderr, action).toContain('No schedule named "no-such-schedule"');
      expect(unknown.stderr, action).not.toContain('usage:');
    }
  });

  it('celeriac beat publishes the schedule with its header, serves its probes, stops on SIGTERM', async () => {
    // CELERIAC_HTTP_PORT is what the beat pod's manifest sets; 0 picks a free port.
    const env = {
      ...process.env,
      ...ENV,
      CELERIAC_HTTP_PORT: '0',
      CELERIAC_HTTP_HOST: '127.0.0.1',
    };
    const child = spawn(process.execPath, [CLI_BIN, 'beat', ...FLAGS, '--renew-ms', '200'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const beat = new ManagedProcess('celeriac beat', child);
    await beat.waitFor(/is the leader/);
    await beat.waitFor(/Health and metrics on http:\/\/127\.0\.0\.1:\d+/);
    const base = /Health and metrics on (http:\/\/127\.0\.0\.1:\d+)/.exec(beat.output)![1];
    for (const path of ['/health/live', '/health/ready']) {
      const response = await fetch(base + path);
      expect(response.status, `${path}: ${await response.text()}`).toBe(200);
    }
    const before = await redis.llen(QUEUE);
    const end = Date.now() + 10_000;
    while ((await redis.llen(QUEUE)) < before + 2 && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const message = JSON.parse((await redis.lindex(QUEUE, 0))!) as {
      headers: Record<string, unknown>;
    };
    expect(message.headers.periodic_task_name).toBe('cli-tick');
    expect(message.headers.task).toBe('e2e.cli_tick');
    // prom-client is installed here: the same server serves the beat's metrics.
    const metrics = parseExposition(await (await fetch(`${base}/metrics`)).text());
    expect(sampleValue(metrics, 'celeriac_beat_leader')).toBe(1);
    expect(
      sampleValue(metrics, 'celeriac_beat_fires_total', { schedule: 'cli-tick' }),
    ).toBeGreaterThanOrEqual(2);
    await beat.stop();
    expect(beat.output).toContain('SIGTERM, stopping');
    const rm = await runCeleriac(['schedule', 'rm', 'cli-tick', ...FLAGS], ENV);
    expect(rm.stdout.trim()).toBe('removed cli-tick');
  });

  it('refuses schedule and beat without a shared store, and a beat with bad lease timing', async () => {
    const amqp = { CELERIAC_BROKER: 'amqp://guest:guest@127.0.0.1:5672//' };
    for (const argv of [
      ['schedule', 'add', 'lost', 'e2e.lost', '--every', '5'],
      ['schedule', 'ls'],
      ['beat'],
    ]) {
      const run = await runCeleriac(argv, amqp);
      expect(run.code, argv.join(' ')).toBe(2);
      expect(run.stderr).toContain('no shared schedule store: neither the broker nor');
      expect(run.stderr).toContain('Pass --store redis://... or postgres://... (or set');
    }
    const timing = await runCeleriac(['beat', '--renew-ms', '3000', ...FLAGS], ENV);
    expect(timing.code).toBe(2);
    expect(timing.stderr).toContain('renewMs (3000) must be an integer from 1 to half of leaseMs');
    expect(timing.stderr + timing.stdout).not.toContain('ExceptionHandler');
    const memory = await runCeleriac(['schedule', 'ls', '--store', 'memory://x'], ENV);
    expect(memory.code).toBe(2);
    expect(memory.stderr).toContain('"memory://x" is this process\'s memory');
  });
});
