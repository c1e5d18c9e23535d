import 'reflect-metadata';
import { join } from 'node:path';
import { Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import {
  GroupResult,
  TaskClient,
  TaskQueueModule,
  type AnyArgs,
  type AsyncResult,
  type ProducerOf,
  type Signature,
  type TaskQueueOptions,
} from 'celeriac';
import { CanvasTasks } from './canvas-tasks.js';
import { CANVAS_REDIS, type CanvasTransport, type OpenedTransport } from './canvas-transports.js';
import {
  PYTHON,
  PYTHON_FIXTURES,
  runProcess,
  startPythonWorker,
  uniqueName,
  type ManagedProcess,
} from './interop-processes.js';

export interface CanvasHarnessOptions {
  /** Run a Node worker on the Node queue in this process (default true). */
  worker?: boolean;
  /** Start a Python Celery 5.2.6 worker (`canvas_app`) on the Python queue. */
  python?: boolean;
  /** Routes beyond `interop.*` → Node queue and `py.*` → Python queue. */
  routes?: (queues: { node: string; py: string }) => TaskQueueOptions['routes'];
}

/**
 * What a canvas spec works with, filled in by its `beforeAll`: the Nest app with the canvas
 * tasks (`interop.*`, test/support/canvas-tasks.ts), their producers, `py()` for the Python
 * tasks (`py.*`), and `track()` to remember ids for clean-up.
 */
export interface CanvasHarness {
  transport: OpenedTransport;
  app: INestApplication;
  client: TaskClient;
  nodeQueue: string;
  pyQueue: string;
  python: ManagedProcess | null;
  add: ProducerOf<CanvasTasks, 'add'>;
  mul: ProducerOf<CanvasTasks, 'mul'>;
  tsum: ProducerOf<CanvasTasks, 'tsum'>;
  fail: ProducerOf<CanvasTasks, 'fail'>;
  flaky: ProducerOf<CanvasTasks, 'flaky'>;
  echo: ProducerOf<CanvasTasks, 'echo'>;
  /** A Python task by name (`py.<name>`). */
  py<R = unknown>(name: string, ...args: unknown[]): Signature<AnyArgs, R>;
  /** Remember every id of a handle tree (results deleted afterwards). */
  track<H extends AsyncResult | GroupResult<readonly unknown[]>>(handle: H): H;
  /** Remember ids. */
  ids: string[];
  /** The environment of `canvas_app` (broker, backend, queues) for Python processes. */
  pythonEnv(): NodeJS.ProcessEnv;
  /** Run test/fixtures/python/<script> with `args`; the last stdout line, parsed. */
  runPython<T = Record<string, unknown>>(script: string, ...args: string[]): Promise<T>;
}

/**
 * Register the `beforeAll` / `afterAll` of a canvas spec (or of one `describe` of a matrix):
 * open `transport`, start the Node app (and a Python worker), and clean everything up after.
 */
export function useCanvasApp(
  transport: CanvasTransport,
  options: CanvasHarnessOptions = {},
): CanvasHarness {
  const harness = {
    nodeQueue: uniqueName('canvas-node'),
    pyQueue: uniqueName('canvas-py'),
    python: null,
    ids: [] as string[],
  } as unknown as CanvasHarness;
  const groups: string[] = [];

  harness.track = (handle) => {
    const visit = (h: AsyncResult | GroupResult<readonly unknown[]> | null): void => {
      if (!h) return;
      if (h instanceof GroupResult) {
        groups.push(h.id);
        h.results.forEach(visit);
      } else harness.ids.push(h.id);
      visit(h.parent);
    };
    visit(handle);
    return handle;
  };
  harness.py = <R>(name: string, ...args: unknown[]) =>
    harness.client.signature<R>(`py.${name}`, args);
  harness.pythonEnv = () => ({
    ...process.env,
    PYTHONPATH: PYTHON_FIXTURES,
    PYTHONUNBUFFERED: '1',
    INTEROP_BROKER: harness.transport.python!.broker,
    INTEROP_BACKEND: harness.transport.python!.backend,
    CANVAS_NODE_QUEUE: harness.nodeQueue,
    CANVAS_PY_QUEUE: harness.pyQueue,
  });
  harness.runPython = async <T>(script: string, ...args: string[]) => {
    const run = await runProcess(PYTHON, [join(PYTHON_FIXTURES, script), ...args], {
      cwd: PYTHON_FIXTURES,
      env: harness.pythonEnv(),
      timeoutMs: 120_000,
    });
    if (run.code !== 0) {
      throw new Error(
        `${script} ${args.join(' ')} failed:\n${run.stderr}\npython worker:\n` +
          (harness.python?.output.slice(-6000) ?? '(none)'),
      );
    }
    return JSON.parse(run.stdout.trim().split('\n').pop()!) as T;
  };

  beforeAll(async () => {
    harness.transport = await transport.open();
    const { nodeQueue, pyQueue } = harness;
    if (options.python) {
      const py = harness.transport.python!;
      harness.python = await startPythonWorker({
        broker: py.broker,
        backend: py.backend,
        queue: pyQueue,
        app: 'canvas_app',
        env: { CANVAS_NODE_QUEUE: nodeQueue, CANVAS_PY_QUEUE: pyQueue },
      });
    }
    @Module({
      imports: [
        TaskQueueModule.forRoot({
          ...harness.transport.options,
          resultExpires: 600,
          routes: {
            'interop.*': { queue: nodeQueue },
            'py.*': { queue: pyQueue },
            ...options.routes?.({ node: nodeQueue, py: pyQueue }),
          },
          defaultQueue: nodeQueue,
          worker:
            options.worker === false
              ? { enabled: false }
              : { queues: [nodeQueue], concurrency: 4, banner: false },
          events: { enabled: false },
        }),
      ],
      providers: [CanvasTasks],
    })
    class CanvasModule {}
    const moduleRef = await Test.createTestingModule({ imports: [CanvasModule] }).compile();
    harness.app = moduleRef.createNestApplication({ logger: ['error'] });
    await harness.app.init();
    harness.client = harness.app.get(TaskClient);
    harness.add = harness.client.get(CanvasTasks, 'add');
    harness.mul = harness.client.get(CanvasTasks, 'mul');
    harness.tsum = harness.client.get(CanvasTasks, 'tsum');
    harness.fail = harness.client.get(CanvasTasks, 'fail');
    harness.flaky = harness.client.get(CanvasTasks, 'flaky');
    harness.echo = harness.client.get(CanvasTasks, 'echo');
  }, 90_000);

  afterAll(async () => {
    await harness.app?.close();
    await harness.python?.stop();
    const redis = new Redis(CANVAS_REDIS);
    const keys: string[] = [];
    for (const queue of [harness.nodeQueue, harness.pyQueue]) {
      for (const priority of ['', '\x06\x163', '\x06\x166', '\x06\x169'])
        keys.push(queue + priority);
      keys.push(`_kombu.binding.${queue}`);
    }
    if (harness.transport?.redisResults) {
      keys.push(...harness.ids.map((id) => `celery-task-meta-${id}`));
      for (const g of groups) keys.push(`celery-taskset-meta-${g}`, `celery-taskset-meta-${g}.s`);
    }
    for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
    redis.disconnect();
    await harness.transport?.dispose();
  }, 60_000);

  return harness;
}
