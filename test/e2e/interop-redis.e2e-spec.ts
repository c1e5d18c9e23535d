import { RemoteTaskError, TaskRevokedError } from 'celeriac';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  runPythonClient,
  startNodeWorker,
  startPythonWorker,
  uniqueName,
  type ManagedProcess,
} from '../support/interop-processes.js';
import { useInteropProducer } from '../support/interop-producer.js';
import { REDIS_URL } from '../support/redis-test-server.js';

/**
 * Celery 5.2.6 ⇄ Celeriac on Redis (issue 3): Python producers against the compiled interop
 * worker (apps/interop), Celeriac producers against a real Python worker
 * (test/fixtures/python/interop_app.py). Every queue name is unique to this run; keys and
 * results are deleted in afterAll.
 */
const NODE_QUEUE = uniqueName('interop-node');
const PY_QUEUE = uniqueName('interop-py');

/** What interop_client.py `call` prints. */
interface PyCall {
  id: string;
  state: string;
  result?: unknown;
  exc_type?: string;
  exc_message?: string;
  elapsed: number;
  /** Unix seconds of the stored date_done. */
  done_at?: number | null;
  retries: number | null;
}

const py = <T>(command: string, input: unknown): Promise<T> =>
  runPythonClient<T>(REDIS_URL, REDIS_URL, command, input);
const pyCall = (
  task: string,
  args: unknown[],
  options: Record<string, unknown> = {},
  kwargs = {},
) => py<PyCall>('call', { task, args, kwargs, options: { queue: NODE_QUEUE, ...options } });

/** What interop_client.py `until` prints. */
interface RetryReport {
  id: string;
  state: string;
  is_celery_retry: boolean;
  info: string;
  traceback: string | null;
}

const producer = useInteropProducer();
let nodeWorker: ManagedProcess | undefined;
let pyWorker: ManagedProcess | undefined;

beforeAll(async () => {
  producer().track(null, NODE_QUEUE);
  producer().track(null, PY_QUEUE);
  [nodeWorker, pyWorker] = await Promise.all([
    startNodeWorker({ broker: REDIS_URL, backend: REDIS_URL, queues: [NODE_QUEUE] }),
    startPythonWorker({ broker: REDIS_URL, backend: REDIS_URL, queue: PY_QUEUE }),
  ]);
});

afterAll(async () => {
  await Promise.all([nodeWorker?.stop(), pyWorker?.stop()]);
});

describe('Python send_task → Celeriac worker', () => {
  it('runs interop.add and Python reads the result', async () => {
    const call = await pyCall('interop.add', [2, 3]);
    expect(call).toMatchObject({ state: 'SUCCESS', result: 5 });
  });

  it('binds Python kwargs (interop.echo)', async () => {
    const call = await pyCall('interop.echo', [1, 'a'], {}, { k: 'v', nested: { n: [1, 2] } });
    expect(call.result).toEqual({ args: [1, 'a'], kwargs: { k: 'v', nested: { n: [1, 2] } } });
  });

  it('raises the Node error in Python as InteropError with its message', async () => {
    const call = await pyCall('interop.fail', ['boom "quoted"']);
    expect(call).toMatchObject({
      state: 'FAILURE',
      exc_type: 'InteropError',
      exc_message: 'boom "quoted"',
    });
  });

  it('does not run a countdown task before its ETA', async () => {
    const call = await pyCall('interop.add', [1, 1], { countdown: 2 });
    expect(call).toMatchObject({ state: 'SUCCESS', result: 2 });
    expect(call.elapsed).toBeGreaterThanOrEqual(1.9);
  });

  // What Python writes for an aware datetime in another zone, and for a naive one (UTC).
  it('honours an ETA written with a +05:30 offset or naive, and an expiry in -08:00', async () => {
    const etaMs = Date.now() + 3_000;
    const at = (ms: number, offsetMin: number | null): string => {
      const local = new Date(ms + (offsetMin ?? 0) * 60_000).toISOString().replace('Z', '000');
      if (offsetMin === null) return local;
      const abs = Math.abs(offsetMin);
      const hh = String(Math.floor(abs / 60)).padStart(2, '0');
      const mm = String(abs % 60).padStart(2, '0');
      return `${local}${offsetMin < 0 ? '-' : '+'}${hh}:${mm}`;
    };
    const [india, naive, expired] = await Promise.all([
      pyCall('interop.add', [1, 1], { eta: at(etaMs, 330) }),
      pyCall('interop.add', [2, 2], { eta: at(etaMs, null) }),
      pyCall('interop.add', [3, 3], { expires: at(Date.now() - 5_000, -480) }),
    ]);
    expect(india).toMatchObject({ state: 'SUCCESS', result: 2 });
    expect(naive).toMatchObject({ state: 'SUCCESS', result: 4 });
    // Not run before the ETA (date_done is written after the run).
    for (const call of [india, naive])
      expect(call.done_at! * 1000).toBeGreaterThanOrEqual(etaMs - 5);
    expect(expired).toMatchObject({ state: 'REVOKED', exc_message: 'expired' });
  });

  it('revokes an already-expired task with reason "expired"', async () => {
    const call = await pyCall('interop.add', [1, 1], { expires: -10 });
    expect(call).toMatchObject({
      state: 'REVOKED',
      exc_type: 'TaskRevokedError',
      exc_message: 'expired',
    });
  });

  it('retries interop.flaky across the wire; Python reads the final retries count', async () => {
    const call = await pyCall('interop.flaky', [uniqueName('flaky'), 2]);
    expect(call).toMatchObject({ state: 'SUCCESS', result: 2, retries: 2 });
  });

  // Celery stores `reason.exc` (None for a bare retry): the reason is in the traceback and log.
  it('a bare RETRY stores None as Python does; the traceback and log say `Retry in 600s`', async () => {
    const report = await py<RetryReport>('until', {
      task: 'interop.flaky',
      args: [uniqueName('flaky'), 1, 600],
      options: { queue: NODE_QUEUE },
      state: 'RETRY',
    });
    producer().track(report.id);
    expect(report).toMatchObject({ state: 'RETRY', info_class: 'builtins.NoneType', info: 'None' });
    // Python's traceback ends so, and its worker logs `Task <name>[<id>] retry: Retry in 600s`.
    expect(report.traceback).toMatch(/\ncelery\.exceptions\.Retry: Retry in 600s$/);
    await expect
      .poll(() => nodeWorker!.output)
      .toContain(`interop.flaky[${report.id}] retry: Retry in 600s`);
  });

  it('trackStarted: Python reads STARTED with the pid and hostname while the task runs', async () => {
    const report = await py<RetryReport & { info_class: string }>('until', {
      task: 'interop.tracked',
      args: [3],
      options: { queue: NODE_QUEUE },
      state: 'STARTED',
    });
    producer().track(report.id);
    expect(report).toMatchObject({ state: 'STARTED', info_class: 'builtins.dict' });
    expect(report.info).toMatch(/^\{'pid': \d+, 'hostname': 'node-[^']+'\}$/);
  });

  it('a retry with an eta says `Retry at <eta>` as Python writes a datetime', async () => {
    const report = await py<RetryReport>('until', {
      task: 'interop.retry_at',
      args: ['2030-01-02T03:04:05.123Z'],
      options: { queue: NODE_QUEUE },
      state: 'RETRY',
    });
    producer().track(report.id);
    const reason = 'Retry at 2030-01-02 03:04:05.123000+00:00';
    expect(report).toMatchObject({ state: 'RETRY', info: 'None' });
    expect(report.traceback?.endsWith(`\ncelery.exceptions.Retry: ${reason}`)).toBe(true);
    await expect
      .poll(() => nodeWorker!.output)
      .toContain(`interop.retry_at[${report.id}] retry: ${reason}`);
  });

  // Celery 5.2's parse_iso8601 reads the fraction digits as microseconds: write six of them.
  it('writes date_done with microseconds, as Python does', async () => {
    const result = await producer().send<number>('interop.add', [1, 2], { queue: NODE_QUEUE });
    await result.get({ timeout: 10_000 });
    expect((await result.meta())?.date_done).toMatch(/T\d{2}:\d{2}:\d{2}\.\d{6}/);
  });
  // Python-built chains, links and chords on this worker: test/e2e/canvas-interop.e2e-spec.ts.
});

describe('Celeriac producer → Python worker', () => {
  it('runs interop_py.add and Celeriac reads the result', async () => {
    const result = await producer().send<number>('interop_py.add', [20, 22], { queue: PY_QUEUE });
    expect(await result.get({ timeout: 15_000 })).toBe(42);
  });

  it('turns a Python ValueError into a RemoteTaskError named ValueError', async () => {
    const result = await producer().send('interop_py.fail', ['bad input'], { queue: PY_QUEUE });
    const error = await result.get({ timeout: 15_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteTaskError);
    expect(error).toMatchObject({
      name: 'ValueError',
      message: 'bad input',
      excModule: 'builtins',
    });
  });

  it('does not run a countdown task before its ETA', async () => {
    const sent = Date.now();
    const result = await producer().send<number>('interop_py.add', [1, 2], {
      queue: PY_QUEUE,
      countdown: 2,
    });
    expect(await result.get({ timeout: 15_000 })).toBe(3);
    expect(Date.now() - sent).toBeGreaterThanOrEqual(1900);
    const done = new Date(`${(await result.meta())?.date_done ?? ''}Z`).getTime();
    expect(done).toBeGreaterThanOrEqual(sent + 1900);
  });

  it('revokes an already-expired task with reason "expired"', async () => {
    const result = await producer().send('interop_py.add', [1, 2], {
      queue: PY_QUEUE,
      expires: -10,
    });
    const error = await result.get({ timeout: 15_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskRevokedError);
    expect(error).toMatchObject({ reason: 'expired' });
    expect(await result.state()).toBe('REVOKED');
  });
});

describe('priorities (Redis: 0 first, FIFO within a band)', () => {
  const SENT = [9, 6, 3, 0, 9, 0];
  const EXPECTED = [0, 0, 3, 6, 9, 9];

  /** Wait for every task and order the priorities by completion time. */
  async function executionOrder(ids: string[]): Promise<number[]> {
    const done: { priority: number; at: number }[] = [];
    for (const [index, id] of ids.entries()) {
      const result = producer().result(id);
      await result.get({ timeout: 20_000 });
      const dateDone = (await result.meta())?.date_done ?? '';
      const at = new Date(/Z|[+-]\d\d:\d\d$/.test(dateDone) ? dateDone : `${dateDone}Z`);
      done.push({ priority: SENT[index], at: at.getTime() });
    }
    return done.sort((a, b) => a.at - b.at).map((d) => d.priority);
  }

  it('Python producer → Celeriac worker (concurrency 1)', async () => {
    const queue = uniqueName('interop-pri-node');
    producer().track(null, queue);
    const { ids } = await py<{ ids: string[] }>('send', {
      tasks: SENT.map((priority) => ['interop.sleep', [0.1], { queue, priority }]),
    });
    const worker = await startNodeWorker({
      broker: REDIS_URL,
      backend: REDIS_URL,
      queues: [queue],
      concurrency: 1,
    });
    try {
      expect(await executionOrder(ids)).toEqual(EXPECTED);
    } finally {
      await worker.stop();
    }
  });

  it('Celeriac producer → Python worker (-c 1)', async () => {
    const queue = uniqueName('interop-pri-py');
    const ids: string[] = [];
    for (const [index, priority] of SENT.entries()) {
      const result = await producer().send('interop_py.stamp', [index, 0.1], { queue, priority });
      ids.push(result.id);
    }
    const worker = await startPythonWorker({
      broker: REDIS_URL,
      backend: REDIS_URL,
      queue,
      concurrency: 1,
    });
    try {
      expect(await executionOrder(ids)).toEqual(EXPECTED);
    } finally {
      await worker.stop();
    }
  });
});
