import 'reflect-metadata';
import { join } from 'node:path';
import { Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chain,
  chord,
  group,
  GroupResult,
  RemoteTaskError,
  TaskClient,
  TaskQueueModule,
  xmap,
  xstarmap,
  type AsyncResult,
  type ProducerOf,
} from 'celeriac';
import { CanvasTasks } from '../support/canvas-tasks.js';
import {
  PYTHON,
  PYTHON_FIXTURES,
  runProcess,
  startPythonWorker,
  stopAll,
  uniqueName,
  type ManagedProcess,
} from '../support/interop-processes.js';

/**
 * Canvases across languages on Redis: built in Node and run by a Python Celery 5.2.6 worker;
 * built in Node mixing Node tasks (`interop.*`, this process's worker) and Python tasks
 * (`py.*`); built in Python mixing both, including `chain(node, group(...), body)`; and
 * children / parent read from both languages.
 */
const REDIS = 'redis://127.0.0.1:6379/0';
const nodeQueue = uniqueName('canvas-node');
const pyQueue = uniqueName('canvas-py');
const T = { timeout: 20_000 };
const ids: string[] = [];

let app: INestApplication;
let client: TaskClient;
let python: ManagedProcess;
let add: ProducerOf<CanvasTasks, 'add'>;
let tsum: ProducerOf<CanvasTasks, 'tsum'>;
let echo: ProducerOf<CanvasTasks, 'echo'>;
const pyEnv = { CANVAS_NODE_QUEUE: nodeQueue, CANVAS_PY_QUEUE: pyQueue };

/** A Python task by name. */
const py = <R>(name: string, ...args: unknown[]) => client.signature<R>(`py.${name}`, args);

function pythonClient(...args: string[]): Promise<Record<string, unknown>> {
  return runProcess(PYTHON, [join(PYTHON_FIXTURES, 'canvas_mixed.py'), ...args], {
    cwd: PYTHON_FIXTURES,
    env: {
      ...process.env,
      ...pyEnv,
      PYTHONPATH: PYTHON_FIXTURES,
      INTEROP_BROKER: REDIS,
      INTEROP_BACKEND: REDIS,
    },
    timeoutMs: 120_000,
  }).then((run) => {
    if (run.code !== 0) {
      throw new Error(
        `canvas_mixed.py ${args[0]} failed:\n${run.stderr}\npython worker:\n${python.output.slice(-6000)}`,
      );
    }
    return JSON.parse(run.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
  });
}

function track<H extends AsyncResult | GroupResult<readonly unknown[]>>(handle: H): H {
  for (let node: AsyncResult | GroupResult<readonly unknown[]> | null = handle; node;) {
    ids.push(node.id);
    if (node instanceof GroupResult) node.results.forEach((r) => ids.push(r.id));
    node = node.parent;
  }
  return handle;
}

beforeAll(async () => {
  python = await startPythonWorker({
    broker: REDIS,
    backend: REDIS,
    queue: pyQueue,
    app: 'canvas_app',
    env: pyEnv,
  });
  @Module({
    imports: [
      TaskQueueModule.forRoot({
        broker: REDIS,
        resultBackend: REDIS,
        resultExpires: 600,
        routes: {
          'interop.*': { queue: nodeQueue },
          'py.*': { queue: pyQueue },
          'celery.starmap': { queue: pyQueue },
        },
        defaultQueue: nodeQueue,
        worker: { queues: [nodeQueue], concurrency: 4, banner: false },
        events: { enabled: false },
      }),
    ],
    providers: [CanvasTasks],
  })
  class MixedModule {}
  const moduleRef = await Test.createTestingModule({ imports: [MixedModule] }).compile();
  app = moduleRef.createNestApplication({ logger: ['error'] });
  await app.init();
  client = app.get(TaskClient);
  add = client.get(CanvasTasks, 'add');
  tsum = client.get(CanvasTasks, 'tsum');
  echo = client.get(CanvasTasks, 'echo');
}, 60_000);

afterAll(async () => {
  await app?.close();
  await stopAll();
  const redis = new Redis(REDIS);
  const keys = ids.map((id) => `celery-task-meta-${id}`);
  for (const queue of [nodeQueue, pyQueue]) keys.push(queue, `_kombu.binding.${queue}`);
  for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
  redis.disconnect();
}, 30_000);

describe('canvases built in Node, run by a Python worker (Redis)', () => {
  it('chain, group and chord of Python tasks', async () => {
    const chained = track(
      await chain(py<number>('add', 2, 2), py<number>('add', 4), py<number>('mul', 3)).delay(),
    );
    expect(await chained.get(T)).toBe(24);
    expect(await (chained.parent as AsyncResult).get(T)).toBe(8);
    const grouped = track(await group(py('add', 1, 1), py('mul', 3, 3)).delay());
    expect(await grouped.get(T)).toEqual([2, 9]);
    const joined = track(await chord([py('add', 1, 1), py('add', 2, 2)], py('tsum')).delay());
    expect(await joined.get(T)).toBe(6);
  });

  it('map, starmap and chunks run by the Python built-ins', async () => {
    const mapped = track(
      await xmap(py('tsum'), [
        [1, 2],
        [3, 4],
      ]).delay(),
    );
    expect(await mapped.get(T)).toEqual([3, 7]);
    const starred = track(await xstarmap(py('add'), [[1, 2]]).delay());
    expect(await starred.get(T)).toEqual([3]);
    const chunked = track(
      await add
        .chunks(
          [
            [1, 1],
            [2, 2],
            [3, 3],
          ],
          2,
        )
        .delay(),
    );
    expect(await chunked.get(T)).toEqual([[2, 4], [6]]);
  });

  it('a failing Python header member fails the chord and runs its link_error', async () => {
    const errbackId = crypto.randomUUID();
    const body = py('tsum').linkError(
      client.signature('py.echo', ['errback'], {}, { immutable: true, taskId: errbackId }),
    );
    const result = track(await chord([py('add', 1, 1), py('fail', 'boom')], body).delay());
    const error = await result.get(T).catch((e: unknown) => e);
    expect((error as RemoteTaskError).excType).toBe('ChordError');
    const errback = track(client.result<{ args: unknown[]; lang: string }>(errbackId));
    expect(await errback.get(T)).toEqual({ args: ['errback'], lang: 'python' });
  });
});

describe('mixed canvases', () => {
  it('built in Node: chain(node, python, group(node, python), node body)', async () => {
    const result = track(
      await chain(
        add.s(1, 1),
        py<number>('mul', 3),
        group(add.s(1), py<number>('add', 2)),
        tsum.s(),
      ).delay(),
    );
    expect(await result.get(T)).toBe(7 + 8);
    const header = result.parent as GroupResult<number[]>;
    expect(await header.get(T)).toEqual([7, 8]);
    const second = header.parent as AsyncResult<number>;
    const first = second.parent as AsyncResult<number>;
    // Python reads what each worker recorded: the Node step lists the Python step as its
    // child; the Python step recorded the chord it started.
    const seen = (await pythonClient('inspect', first.id, second.id)) as Record<
      string,
      { value: unknown; children: string[]; parent_id: string | null }
    >;
    expect(seen[first.id]).toMatchObject({ value: 2, children: [second.id] });
    expect(seen[second.id]).toMatchObject({ value: 6, parent_id: first.id });
    expect(seen[second.id]!.children).toHaveLength(1);
    expect((await first.children()).map((c) => c.id)).toEqual([second.id]);
  });

  it('built in Node: a chord with a mixed header and a Python body; echo reports the language', async () => {
    const result = track(
      await chain(chord([add.s(1, 1), py('add', 2, 2)], py<number>('tsum')), echo.s()).delay(),
    );
    expect(await result.get(T)).toEqual({ args: [6], lang: 'node' });
  });

  it('built in Python: chain(node, group(python, node), python body), chords, map / chunks of Node tasks', async () => {
    const out = await pythonClient('build');
    ids.push(...(out.ids as string[]));
    expect(out.chain_group_body).toBe(12 + 20);
    expect(out.chain_group_body_header).toEqual([12, 20]);
    expect(out.chain_group_body_first).toBe(2);
    expect(out.chord).toBe(6);
    expect(out.chain).toEqual({ args: [6], lang: 'node' });
    // Python's get() re-raises the failed header member's error first (follow_parents).
    expect(out.chord_error).toEqual(['CanvasError', 'boom']);
    // The body's (immutable) link_error runs on Node whichever worker joins the chord.
    expect(out.chord_errback).toEqual({ args: ['errback'], lang: 'node' });
    expect(out.node_chord_error).toEqual(['CanvasError', 'boom']);
    expect(out.node_chord_errback).toEqual({ args: ['errback'], lang: 'node' });
    expect(out.map).toEqual([3, 7]);
    expect(out.starmap).toEqual([3, 7]);
    expect(out.chunks).toEqual([[2, 4], [6]]);
    // The Node worker recorded the header group of the chord it started as the first task's
    // child, as a Python worker does: Python reads it back.
    expect(out.chain_group_body_first_children).toEqual([out.chain_group_body_header_id]);
  });
});
