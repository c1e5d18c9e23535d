import type { TestingModule } from '@nestjs/testing';
import { TaskClient } from 'celeriac';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PyCall, useInteropFixture } from '../support/interop-fixture.js';
import {
  type ManagedProcess,
  runPythonClient,
  startNodeWorker,
  startPythonWorker,
  uniqueName,
} from '../support/interop-processes.js';
import { createTaskQueueApp } from '../support/task-queue-app.js';

/**
 * Python's json writes float('nan') and float('±inf') as the bare tokens NaN, Infinity and
 * -Infinity (kombu keeps allow_nan=True), and reads them back. A Celeriac worker must run tasks
 * whose arguments hold them, and a Celeriac producer must read Python results that are such
 * floats, on every broker and result backend Python shares with Node.
 */
const { ids, queues, transports } = useInteropFixture('celeriac-interop-floats');

describe.each(transports)('Python NaN and ±Infinity floats ($name)', ({ broker, backend }) => {
  const nodeQueue = uniqueName('floats-node');
  const pyQueue = uniqueName('floats-py');
  const processes: ManagedProcess[] = [];
  let moduleRef: TestingModule;
  let client: TaskClient;

  beforeAll(async () => {
    queues.push(nodeQueue, pyQueue);
    processes.push(
      ...(await Promise.all([
        startNodeWorker({ broker: broker(), backend, queues: [nodeQueue] }),
        startPythonWorker({ broker: broker(), backend, queue: pyQueue }),
      ])),
    );
    moduleRef = await createTaskQueueApp({
      broker: broker(),
      resultBackend: backend,
      worker: { enabled: false },
    });
    client = moduleRef.get(TaskClient);
  }, 120_000);

  afterAll(async () => {
    await moduleRef?.close();
    await Promise.all(processes.map((p) => p.stop()));
  });

  /** Python's `send_task(task, args)` to the Node worker (args as Python's JSON), waited for. */
  const callNode = async (task: string, argsJson: string): Promise<PyCall> => {
    const call = await runPythonClient<PyCall>(broker(), backend, 'call', {
      task,
      args_json: argsJson,
      options: { queue: nodeQueue },
    });
    ids.push(call.id);
    return call;
  };

  // interop.add(x, y) is `x + y`: with '' first, JS writes the number it received as text.
  it.each([
    ['NaN', 'NaN'],
    ['Infinity', 'Infinity'],
    ['-Infinity', '-Infinity'],
  ])('Python sends %s to a Node task, which receives the number', async (token, text) => {
    const call = await callNode('interop.add', `["", ${token}]`);
    expect(call).toMatchObject({ state: 'SUCCESS', result: text });
  });

  it('a Python task returns float("inf") and float("-inf"): the Node producer reads them', async () => {
    const up = await client.send<number>('interop_py.add', [1e308, 1e308], {}, { queue: pyQueue });
    const down = await client.send<number>(
      'interop_py.add',
      [-1e308, -1e308],
      {},
      {
        queue: pyQueue,
      },
    );
    ids.push(up.id, down.id);
    expect(await up.get({ timeout: 20_000 })).toBe(Infinity);
    expect(await down.get({ timeout: 20_000 })).toBe(-Infinity);
  });

  it('Python calls add(nan, 1) on a Node worker and reads nan back, as from a Python worker', async () => {
    const call = await callNode('interop.add', '[NaN, 1]');
    expect(call).toMatchObject({ state: 'SUCCESS' });
    expect(call.result).toBeNaN();
  });

  it('Python reads the nested NaN and ±Infinity a Node task returns (not None)', async () => {
    const call = await callNode('interop.echo', '[NaN, [Infinity, -Infinity]]');
    expect(call).toMatchObject({ state: 'SUCCESS' });
    expect(call.result).toEqual({ args: [NaN, [Infinity, -Infinity]], kwargs: {} });
  });

  it('a Node producer sends NaN and ±Infinity to a Python task and reads its float back', async () => {
    const nan = await client.send<number>('interop_py.add', [NaN, 1], {}, { queue: pyQueue });
    const inf = await client.send<number>('interop_py.add', [Infinity, 1], {}, { queue: pyQueue });
    ids.push(nan.id, inf.id);
    expect(await nan.get({ timeout: 20_000 })).toBeNaN();
    expect(await inf.get({ timeout: 20_000 })).toBe(Infinity);
  });

  it('a Node producer and a Node worker carry them both ways, nested', async () => {
    const echo = await client.send<{ args: unknown[] }>(
      'interop.echo',
      [NaN, { low: -Infinity, high: Infinity }],
      {},
      { queue: nodeQueue },
    );
    ids.push(echo.id);
    expect((await echo.get({ timeout: 20_000 })).args).toEqual([
      NaN,
      { low: -Infinity, high: Infinity },
    ]);
  });
});
