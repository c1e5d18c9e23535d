import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  runCeleriac,
  startNodeWorker,
  uniqueName,
  type ManagedProcess,
} from '../support/interop-processes.js';
import { useInteropProducer } from '../support/interop-producer.js';
import { REDIS_URL } from '../support/redis-test-server.js';

/** The `celeriac` bin (libs/task-queue/bin/celeriac.js → dist/cli) against Redis and the interop worker. */
const QUEUE = uniqueName('cli');
const IDLE_QUEUE = uniqueName('cli-idle');
const HOSTNAME = `${uniqueName('cli-node')}@%h`;
const ENV = { CELERIAC_BROKER: REDIS_URL, CELERIAC_RESULT_BACKEND: REDIS_URL };

let worker: ManagedProcess | undefined;
const keys = useInteropProducer();

const lastLine = (text: string): string => text.trim().split('\n').pop() ?? '';

beforeAll(async () => {
  keys().track(null, QUEUE);
  keys().track(null, IDLE_QUEUE);
  worker = await startNodeWorker({
    broker: REDIS_URL,
    backend: REDIS_URL,
    queues: [QUEUE],
    hostname: HOSTNAME,
  });
});

afterAll(async () => {
  await worker?.stop();
});

describe('celeriac CLI', () => {
  it('call --wait prints the id, then the final state and result as JSON', async () => {
    const run = await runCeleriac(
      ['call', 'interop.add', '--args', '[2, 3]', '--queue', QUEUE, '--wait', '10'],
      ENV,
    );
    expect(run.code).toBe(0);
    const [id, json] = run.stdout.trim().split('\n');
    keys().track(id);
    expect(JSON.parse(json)).toMatchObject({ id, state: 'SUCCESS', result: 5 });
  });

  it('call passes kwargs, and result ID reads the stored outcome (flags instead of env)', async () => {
    const call = await runCeleriac(
      ['call', 'interop.echo', '--kwargs', '{"k": "v"}', '--queue', QUEUE, '--broker', REDIS_URL],
      {},
    );
    expect(call.code).toBe(0);
    const id = call.stdout.trim();
    keys().track(id);
    const result = await runCeleriac(['result', id, '--wait', '10', '--backend', REDIS_URL]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      state: 'SUCCESS',
      result: { args: [], kwargs: { k: 'v' } },
    });
  });

  it('exits 1 with a one-line reason when the task fails', async () => {
    const run = await runCeleriac(
      ['call', 'interop.fail', '--args', '["nope"]', '--queue', QUEUE, '--wait', '10'],
      ENV,
    );
    keys().track(run.stdout.split('\n')[0]);
    expect(run.code).toBe(1);
    expect(JSON.parse(lastLine(run.stdout))).toMatchObject({ state: 'FAILURE' });
    expect(run.stderr.trim()).toMatch(/^celeriac: task \S+ failed: InteropError: nope$/);
  });

  it('reports an expired task as REVOKED (exit 1)', async () => {
    const run = await runCeleriac(
      ['call', 'interop.add', '--args', '[1,1]', '--queue', QUEUE, '--expires=-5', '--wait', '10'],
      ENV,
    );
    keys().track(run.stdout.split('\n')[0]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/was revoked: expired/);
  });

  it('exits 124 when --wait runs out', async () => {
    const run = await runCeleriac(
      ['call', 'interop.add', '--args', '[1,1]', '--queue', IDLE_QUEUE, '--wait', '0.5'],
      ENV,
    );
    expect(run.code).toBe(124);
    expect(run.stderr.trim()).toMatch(
      /timed out after 0\.5 s waiting for task \S+ \(state PENDING\)$/,
    );
  });

  it('queues prints lengths, purge empties a queue', async () => {
    for (const priority of ['0', '9']) {
      const run = await runCeleriac(
        ['call', 'interop.add', '--args', '[1,1]', '--queue', IDLE_QUEUE, '--priority', priority],
        ENV,
      );
      expect(run.code).toBe(0);
    }
    const before = await runCeleriac(['queues', IDLE_QUEUE, QUEUE], ENV);
    expect(before.stdout.trim().split('\n')).toEqual([`${IDLE_QUEUE}\t3`, `${QUEUE}\t0`]);
    const purge = await runCeleriac(['purge', IDLE_QUEUE], ENV);
    expect(purge.stdout.trim()).toBe('3');
    const after = await runCeleriac(['queues', IDLE_QUEUE, '--json'], ENV);
    expect(JSON.parse(after.stdout)).toEqual({ [IDLE_QUEUE]: 0 });
  });

  it('result of an unknown id is PENDING', async () => {
    const run = await runCeleriac(['result', uniqueName('no-such-task')], ENV);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ state: 'PENDING', result: null });
  });

  it('rejects bad input with exit code 2 before connecting', async () => {
    const badJson = await runCeleriac(['call', 'x', '--args', '{'], ENV);
    expect(badJson.code).toBe(2);
    expect(badJson.stderr).toMatch(/--args is not valid JSON/);
    const noBroker = await runCeleriac(['queues'], { CELERIAC_BROKER: '' });
    expect(noBroker.code).toBe(2);
    expect(noBroker.stderr).toMatch(/no broker/);
    expect((await runCeleriac(['frobnicate'])).code).toBe(2);
  });

  it('inspect ping / registered reach the worker by --destination; no reply exits 1', async () => {
    const node = `${HOSTNAME.replace('%h', hostname())}`;
    const ping = await runCeleriac(['inspect', 'ping', '--destination', node], ENV);
    expect(ping.code).toBe(0);
    expect(JSON.parse(ping.stdout)).toEqual({ [node]: { ok: 'pong' } });
    const registered = await runCeleriac(['inspect', 'registered', '-d', node], ENV);
    expect(JSON.parse(registered.stdout)[node]).toContain('interop.add');
    const nobody = await runCeleriac(
      ['inspect', 'ping', '-d', `${uniqueName('nobody')}@x`, '--timeout', '0.3'],
      ENV,
    );
    expect(nobody.code).toBe(1);
    expect(nobody.stderr.trim()).toMatch(
      /no worker replied to inspect ping within 0\.3 s on redis:\/\/.*Check that the workers run on this broker .* and the --destination names, or give busy workers longer with --timeout\.$/,
    );
  });

  it('inspect answers the other Celery queries too: active_queues, revoked, query_task IDS, clock', async () => {
    const node = `${HOSTNAME.replace('%h', hostname())}`;
    const queues = await runCeleriac(['inspect', 'active_queues', '-d', node], ENV);
    expect(queues.code).toBe(0);
    expect(JSON.parse(queues.stdout)[node].map((q: { name: string }) => q.name)).toContain(QUEUE);
    const revoked = await runCeleriac(['inspect', 'revoked', '-d', node], ENV);
    expect(JSON.parse(revoked.stdout)[node]).toEqual(expect.any(Array));
    const query = await runCeleriac(['inspect', 'query_task', 'no-such-id', '-d', node], ENV);
    expect(JSON.parse(query.stdout)).toEqual({ [node]: {} });
    const clock = await runCeleriac(['inspect', 'clock', '-d', node], ENV);
    expect(JSON.parse(clock.stdout)[node]).toEqual({ clock: expect.any(Number) });
    const noIds = await runCeleriac(['inspect', 'query_task'], ENV);
    expect(noIds.code).toBe(2);
    expect(noIds.stderr).toContain('inspect query_task needs one or more task ids');
  });
});
