import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PyCall, useInteropFixture } from '../support/interop-fixture.js';
import {
  type ManagedProcess,
  runPythonClient,
  startNodeWorker,
  uniqueName,
} from '../support/interop-processes.js';
import { REDIS_URL } from '../support/redis-test-server.js';
import { celeryCli } from '../support/control-python.js';

/**
 * Celery's `worker_direct` with a Python producer: a Node worker started with `direct` also
 * consumes `<nodename>.dq2`, bound to the `C.dq2` exchange with its nodename, so Python's
 * `apply_async(queue=worker_direct(nodename))` reaches that worker and no other.
 */
const { ids, queues, transports } = useInteropFixture('celeriac-interop-worker-direct');

describe.each(transports.slice(0, 2))(
  'worker_direct from Python on $name',
  ({ broker, backend }) => {
    const shared = uniqueName('interop-direct');
    const names = [`direct-a-${randomUUID()}`, `direct-b-${randomUUID()}`];
    const nodenames = names.map((n) => `${n}@${hostname()}`);
    const workers: ManagedProcess[] = [];

    beforeAll(async () => {
      queues.push(shared, ...nodenames.map((n) => `${n}.dq2`));
      for (const name of names) {
        workers.push(
          await startNodeWorker({
            broker: broker(),
            backend,
            queues: [shared],
            hostname: `${name}@%h`,
            direct: true,
          }),
        );
      }
    }, 60_000);

    afterAll(async () => {
      await Promise.all(workers.map((w) => w.stop()));
      if (broker() === REDIS_URL) {
        const redis = new Redis(REDIS_URL);
        await redis.srem(
          '_kombu.binding.C.dq2',
          ...nodenames.map((n) => `${n}\x06\x16\x06\x16${n}.dq2`),
        );
        redis.disconnect();
      }
    });

    it('every task sent to worker_direct(B) runs on worker B', async () => {
      const target = nodenames[1]!;
      for (let i = 0; i < 4; i++) {
        const report = await runPythonClient<PyCall & { result: { hostname: string } }>(
          broker(),
          backend,
          'call',
          { task: 'interop.whoami', options: { worker_direct: target } },
        );
        ids.push(report.id);
        expect(report).toMatchObject({ state: 'SUCCESS', result: { hostname: target } });
      }
    });

    it("celery inspect active_queues shows the direct queue bound to C.dq2 with the worker's name", async () => {
      const target = nodenames[0]!;
      const out = await celeryCli(broker(), 'inspect', 'active_queues', '-d', target, '-j');
      const parsed = JSON.parse(out.slice(out.indexOf('{'), out.lastIndexOf('}') + 1)) as Record<
        string,
        { name: string; exchange: { name: string }; routing_key: string }[]
      >;
      expect(parsed[target]).toContainEqual(
        expect.objectContaining({
          name: `${target}.dq2`,
          exchange: expect.objectContaining({ name: 'C.dq2' }),
          routing_key: target,
        }),
      );
    });
  },
);
