import { describe, expect, it } from 'vitest';
import { type PyCall, useInteropFixture } from '../support/interop-fixture.js';
import { runPythonClient, uniqueName } from '../support/interop-processes.js';
import { REDIS_URL } from '../support/redis-test-server.js';

/**
 * Celery compresses task bodies with `apply_async(compression=...)` or the `task_compression`
 * setting (kombu's `compression` header). A Celeriac worker runs zlib-compressed messages (the
 * `zlib` / `gzip` names, content type `application/x-gzip`) as a Python worker does, and fails
 * the others with a message naming the compression and what to use instead.
 */
interface Transport {
  name: string;
  broker: () => string;
}

const { ids, vhostUrl, useNodeWorker } = useInteropFixture('celeriac-interop-compression');

describe.each<Transport>([
  { name: 'Redis', broker: () => REDIS_URL },
  { name: 'RabbitMQ', broker: vhostUrl },
])('compressed task messages from Python ($name)', ({ broker }) => {
  const { queue } = useNodeWorker('interop-compressed', { broker, backend: REDIS_URL });

  const call = async (
    compression: string,
    args: unknown[],
    task = 'interop.echo',
  ): Promise<PyCall> => {
    const report = await runPythonClient<PyCall>(broker(), REDIS_URL, 'call', {
      task,
      args,
      kwargs: task === 'interop.echo' ? { k: 'v' } : {},
      options: { queue, compression },
    });
    ids.push(report.id);
    return report;
  };

  it.each(['zlib', 'gzip'])(
    'compression=%s: the Node task runs with its arguments',
    async (name) => {
      const text = 'é'.repeat(10_000);
      const report = await call(name, [text, 1]);
      expect(report).toMatchObject({
        state: 'SUCCESS',
        result: { args: [text, 1], kwargs: { k: 'v' } },
      });
    },
  );

  it('a retry re-sends the compressed message as it came, and the Node task runs again', async () => {
    const report = await call('zlib', [uniqueName('flaky'), 1], 'interop.flaky');
    expect(report).toMatchObject({ state: 'SUCCESS', result: 1 });
  });

  it('compression=bzip2: FAILURE naming the compression and what to use', async () => {
    const report = await call('bzip2', [1]);
    expect(report).toMatchObject({ state: 'FAILURE', exc_type: 'InvalidMessageError' });
    expect(report.exc_message).toMatch(/"application\/x-bz2"/);
    expect(report.exc_message).toMatch(/compression='zlib'/);
  });
});
