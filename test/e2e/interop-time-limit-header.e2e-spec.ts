import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PyCall, useInteropFixture } from '../support/interop-fixture.js';
import {
  type ManagedProcess,
  runPythonClient,
  startNodeWorker,
  uniqueName,
} from '../support/interop-processes.js';

/**
 * The `timelimit` header as producers other than Celery write it, from Python to the compiled
 * interop worker on Redis. Celery's worker hands each value to timers that take `float()`, so
 * numeric strings are seconds; a malformed header is ignored with one WARN naming the task and
 * the header, and the task runs with its own limits (`interop.sleep` has none). The message is
 * never lost and the worker keeps serving.
 */
const { ids, queues, transports } = useInteropFixture('celeriac-interop-time-limits');
const redis = transports.filter((t) => t.name === 'Redis');

describe.each(redis)('timelimit header from Python on $name', ({ broker, backend }) => {
  const queue = uniqueName('interop-limits');
  let worker: ManagedProcess;

  beforeAll(async () => {
    queues.push(queue);
    worker = await startNodeWorker({ broker: broker(), backend, queues: [queue] });
  }, 120_000);

  afterAll(async () => {
    await worker?.stop();
  });

  const sleep = async (seconds: number, timelimit: unknown): Promise<PyCall> => {
    const report = await runPythonClient<PyCall>(broker(), backend, 'raw', {
      task: 'interop.sleep',
      queue,
      body_hex: Buffer.from(JSON.stringify([[seconds], {}, {}])).toString('hex'),
      headers: { timelimit },
      timeout: 40,
    });
    ids.push(report.id);
    return report;
  };

  it.each([[[null, '0.5']], [[' 60 ', '5e-1']], [['60', '0_0.5']]])(
    'numeric strings %j are seconds: the soft limit stops the task',
    async (timelimit) => {
      const report = await sleep(30, timelimit);
      expect(report).toMatchObject({ state: 'FAILURE', exc_type: 'SoftTimeLimitExceeded' });
    },
  );

  it('a hard limit given as a string stops the task', async () => {
    const report = await sleep(30, ['1', null]);
    expect(report).toMatchObject({ state: 'FAILURE', exc_type: 'TimeLimitExceeded' });
  });

  it.each([[['ten', null]], [[null, { seconds: 5 }]], [[true, null]], [[5]], ['5']])(
    'malformed %j: one WARN naming the task and the header, run with its own limits',
    async (timelimit) => {
      const report = await sleep(0.2, timelimit);
      expect(report).toMatchObject({ state: 'SUCCESS', result: 0.2 });
      const lines = worker.output
        .split('\n')
        .filter((line) => line.includes(`Task ${report.id}: ignored its timelimit header`));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(JSON.stringify(timelimit));
      expect(lines[0]).toContain('WARN');
      expect(lines[0]).toContain("runs with the task's own time limits");
    },
  );

  it('null, 0 and negative values leave the task its own limits, without a warning', async () => {
    const report = await sleep(0.2, ['0', '-1']);
    expect(report).toMatchObject({ state: 'SUCCESS', result: 0.2 });
    expect(worker.output).not.toContain(`Task ${report.id}: ignored`);
  });
});
