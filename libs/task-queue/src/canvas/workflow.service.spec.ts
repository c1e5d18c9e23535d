import { randomUUID } from 'node:crypto';
import { Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../__fixtures__/create-app.js';
import { Task } from '../tasks/task.decorator.js';
import type { Broker } from '../contracts/broker.interface.js';
import type { ResultBackend, TaskMeta } from '../contracts/result-backend.interface.js';
import type { SignatureDict } from '../contracts/task-message.interface.js';
import { createTaskMessage, type TaskMessageSpec } from '../protocol/task-message.factory.js';
import { getBrokerToken, getResultBackendToken } from '../utils/tokens.js';
import { TaskContext } from '../tasks/task-context.js';
import { WorkflowService } from './workflow.service.js';

class WorkflowTestError extends Error {
  override name = 'WorkflowTestError';
}

@Injectable()
class CanvasTasks {
  constructor(private readonly ctx: TaskContext) {}

  @Task('wf.add', { params: ['x', 'y'] })
  add(x: number, y: number): number {
    return x + y;
  }

  @Task('wf.tsum', { params: ['nums'] })
  tsum(nums: number[]): number {
    return nums.reduce((a, b) => a + b, 0);
  }

  @Task('wf.fail', { params: ['message'] })
  fail(message: string): never {
    throw new WorkflowTestError(message);
  }

  /** What arrived and where it came from. */
  @Task('wf.echo')
  echo(...args: unknown[]): Record<string, unknown> {
    return {
      args,
      rootId: this.ctx.rootId,
      parentId: this.ctx.parentId,
      group: this.ctx.group,
    };
  }
}

@Module({ providers: [CanvasTasks] })
class CanvasTasksModule {}

/** A signature dict exactly as Celery 5.2 serialises one. */
function sig(
  task: string,
  args: unknown[] = [],
  options: Record<string, unknown> = {},
  immutable = false,
): SignatureDict {
  return {
    task,
    args,
    kwargs: {},
    options,
    subtask_type: null,
    immutable,
    chord_size: null,
  };
}

const apps: INestApplicationContext[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
});

async function harness() {
  const app = await createApp({}, [CanvasTasksModule]);
  apps.push(app);
  const broker = app.get<Broker>(getBrokerToken());
  const backend = app.get<ResultBackend>(getResultBackendToken());
  return {
    app,
    backend,
    /** Publish one hand-crafted message to the worker's queue; resolves its id. */
    send: async (spec: TaskMessageSpec): Promise<string> => {
      const message = createTaskMessage(spec);
      await broker.publish(message, { queue: 'celery' });
      return message.headers.id;
    },
    result: (id: string): Promise<TaskMeta> => backend.waitForReady(id, { timeout: 3000 }),
  };
}

describe('WorkflowService: Celery canvases on a Celeriac worker', () => {
  it('runs a chain: pops the last embed.chain element, prepends the result, keeps root/parent', async () => {
    const h = await harness();
    const [b, c] = [randomUUID(), randomUUID()];
    // chain(add.s(2, 2), add.s(4), echo.s()) as Python puts it on the wire: reversed.
    const first = await h.send({
      name: 'wf.add',
      args: [2, 2],
      embed: {
        chain: [sig('wf.echo', ['last'], { task_id: c }), sig('wf.add', [4], { task_id: b })],
      },
    });
    expect((await h.result(b)).result).toBe(8);
    const last = await h.result(c);
    expect(last.result).toEqual({ args: [8, 'last'], rootId: first, parentId: b, group: null });
    expect(last.parent_id).toBe(b);
  });

  it('applies link callbacks with the return value, and immutable ones with their own args', async () => {
    const h = await harness();
    const [l1, l2] = [randomUUID(), randomUUID()];
    const id = await h.send({
      name: 'wf.add',
      args: [1, 1],
      embed: { callbacks: [sig('wf.add', [10], { task_id: l1 })] },
    });
    expect((await h.result(id)).result).toBe(2);
    expect(await h.result(l1)).toMatchObject({ result: 12, parent_id: id });

    await h.send({
      name: 'wf.add',
      args: [1, 1],
      embed: { callbacks: [sig('wf.add', [5, 5], { task_id: l2 }, true)] },
    });
    expect((await h.result(l2)).result).toBe(10);
  });

  it('sends several plain callbacks as one group, each with the value', async () => {
    const h = await harness();
    const [l1, l2] = [randomUUID(), randomUUID()];
    const id = await h.send({
      name: 'wf.add',
      args: [3, 4],
      embed: {
        callbacks: [sig('wf.echo', ['a'], { task_id: l1 }), sig('wf.echo', ['b'], { task_id: l2 })],
      },
    });
    const [r1, r2] = [await h.result(l1), await h.result(l2)];
    expect(r1.result).toMatchObject({ args: [7, 'a'], parentId: id, rootId: id });
    expect(r2.result).toMatchObject({ args: [7, 'b'], parentId: id });
    expect(r1.group_id).toBeTruthy();
    expect(r1.group_id).toBe(r2.group_id);
  });

  it('sends link_error errbacks with the failed task id prepended, and not the callbacks', async () => {
    const h = await harness();
    const [eb, immutableEb, cb, step] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const id = await h.send({
      name: 'wf.fail',
      args: ['boom'],
      embed: {
        callbacks: [sig('wf.echo', [], { task_id: cb })],
        errbacks: [
          sig('wf.echo', ['eb'], { task_id: eb }),
          sig('wf.echo', ['fixed'], { task_id: immutableEb }, true),
        ],
        chain: [sig('wf.add', [1], { task_id: step })],
      },
    });
    expect((await h.result(id)).status).toBe('FAILURE');
    expect((await h.result(eb)).result).toMatchObject({ args: [id, 'eb'], parentId: id });
    expect((await h.result(immutableEb)).result).toMatchObject({ args: ['fixed'] });
    // The chain does not go on; its frozen steps get the failure (Celery mark_as_failure).
    expect(await h.result(step)).toMatchObject({
      status: 'FAILURE',
      result: { exc_type: 'WorkflowTestError', exc_message: ['boom'] },
    });
    expect(await h.backend.get(cb)).toBeNull();
  });

  it('joins a chord on the memory backend and publishes the body with [results]', async () => {
    const h = await harness();
    const groupId = randomUUID();
    const bodyId = randomUUID();
    const body = sig('wf.tsum', [], { task_id: bodyId });
    await h.app.get(WorkflowService).chordJoin!.setChordSize(groupId, 3);
    const ids: string[] = [];
    for (const i of [2, 0, 1]) {
      ids[i] = await h.send({
        name: 'wf.add',
        args: [i, i],
        group: groupId,
        groupIndex: i,
        embed: { chord: body },
      });
    }
    const result = await h.result(bodyId);
    expect(result.result).toBe(6);
    expect(ids).toContain(result.parent_id);
  });

  it('passes header results in group-index order', async () => {
    const h = await harness();
    const groupId = randomUUID();
    const bodyId = randomUUID();
    await h.app.get(WorkflowService).chordJoin!.setChordSize(groupId, 3);
    for (const i of [2, 1, 0]) {
      await h.send({
        name: 'wf.add',
        args: [i * 10, 1],
        group: groupId,
        groupIndex: i,
        embed: { chord: sig('wf.echo', [], { task_id: bodyId }) },
      });
    }
    expect((await h.result(bodyId)).result).toMatchObject({ args: [[1, 11, 21]] });
  });

  it('fails the chord body with ChordError and runs the body errbacks when a header task fails', async () => {
    const h = await harness();
    const groupId = randomUUID();
    const [bodyId, eb] = [randomUUID(), randomUUID()];
    const body = sig('wf.tsum', [], {
      task_id: bodyId,
      link_error: [sig('wf.echo', ['chord failed'], { task_id: eb })],
    });
    await h.app.get(WorkflowService).chordJoin!.setChordSize(groupId, 2);
    await h.send({
      name: 'wf.add',
      args: [1, 1],
      group: groupId,
      groupIndex: 0,
      embed: { chord: body },
    });
    const failed = await h.send({
      name: 'wf.fail',
      args: ['nope'],
      group: groupId,
      groupIndex: 1,
      embed: { chord: body },
    });
    const result = await h.result(bodyId);
    expect(result.status).toBe('FAILURE');
    expect(result.result).toEqual({
      exc_type: 'ChordError',
      exc_message: [`Dependency ${failed} raised WorkflowTestError('nope')`],
      exc_module: 'celery.exceptions',
    });
    expect((await h.result(eb)).result).toMatchObject({
      args: [bodyId, 'chord failed'],
      parentId: bodyId,
    });
  });

  it('expands a chord popped from a chain: chain(add.s(1,1), group(add.s(1), add.s(2)), tsum.s())', async () => {
    const h = await harness();
    const bodyId = randomUUID();
    const chord: SignatureDict = {
      task: 'celery.chord',
      args: [],
      kwargs: {
        kwargs: {},
        header: {
          task: 'celery.group',
          args: [],
          kwargs: { tasks: [sig('wf.add', [1]), sig('wf.add', [2])] },
          options: {},
          subtask_type: 'group',
          immutable: false,
        },
        body: sig('wf.tsum', [], { task_id: bodyId }),
      },
      options: {},
      subtask_type: 'chord',
      immutable: false,
    };
    const first = await h.send({ name: 'wf.add', args: [1, 1], embed: { chain: [chord] } });
    const result = await h.result(bodyId);
    expect(result.result).toBe(7); // (2+1) + (2+2)
    const again = await h.backend.get(first);
    expect(again?.result).toBe(2);
  });
});
