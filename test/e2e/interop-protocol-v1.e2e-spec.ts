import { describe, expect, it } from 'vitest';
import {
  type InteropTransport,
  type PyCall,
  useInteropFixture,
} from '../support/interop-fixture.js';
import { runPythonClient, uniqueName } from '../support/interop-processes.js';

/**
 * Celery 5 still sends protocol v1 messages with `task_protocol=1` (every field in the body,
 * no task headers). A Celeriac worker runs them as a Python worker does: a retry is re-sent as
 * a protocol v2 message (Python's `Task.retry` sends in the worker's protocol), and a chord's
 * parts keep the header order (`group_index` in the body).
 */
const { ids, transports, useNodeWorker } = useInteropFixture('celeriac-interop-v1');

interface ChordReport {
  id: string;
  state: string;
  result: unknown;
  ids: string[];
}

describe.each<InteropTransport>(transports.filter((t) => !t.backend.startsWith('rpc')))(
  'protocol v1 messages from Python ($name)',
  ({ broker, backend }) => {
    const node = useNodeWorker('interop-v1', { broker, backend });
    const { queue } = node;

    const call = async (task: string, args: unknown[]): Promise<PyCall> => {
      const report = await runPythonClient<PyCall>(broker(), backend, 'call', {
        task,
        args,
        options: { queue },
        protocol: 1,
        timeout: 15,
      });
      ids.push(report.id);
      return report;
    };

    it('a plain call runs and Python reads the result', async () => {
      expect(await call('interop.add', [2, 3])).toMatchObject({ state: 'SUCCESS', result: 5 });
    });

    it('ctx.retry() counts the retries and waits the countdown (it looped at once before)', async () => {
      const report = await call('interop.flaky', [uniqueName('v1-flaky'), 2, 0.2]);
      expect(report).toMatchObject({ state: 'SUCCESS', result: 2, retries: 2 });
      expect(node.process().output.match(/interop\.flaky\[[^\]]+\] retry:/g)).toHaveLength(2);
    });

    it("a chord body gets the header's results in header order (the body's group_index)", async () => {
      const report = await runPythonClient<ChordReport>(broker(), backend, 'chord', {
        header: [
          ['interop.sleep', [0.6]],
          ['interop.sleep', [0.05]],
          ['interop.add', [0, 0.3]],
        ],
        body: ['interop.echo', []],
        queue,
        protocol: 1,
        timeout: 15,
      });
      ids.push(...report.ids);
      expect(report).toMatchObject({
        state: 'SUCCESS',
        result: { args: [[0.6, 0.05, 0.3]], kwargs: {} },
      });
    });
  },
);
