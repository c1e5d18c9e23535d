import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { ResultBackend } from '../contracts/result-backend.interface.js';
import type { SignatureDict } from '../contracts/task-message.interface.js';
import { Retry } from '../errors/task-signals.js';
import { exceptionRepr, resultTuple, type ResultTuple } from '../results/chord-parts.js';
import { TaskContext } from '../tasks/task-context.js';
import { Task } from '../tasks/task.decorator.js';
import { TaskRegistry } from '../tasks/task.registry.js';
import { getResultBackendToken } from '../utils/tokens.js';
import { groupSignature, toSignature, toSignatureList } from '../producer/canvas/signature.js';
import { chordError } from './outcome-meta.js';
import { readyHeader } from './chord-unlock.header.js';
import { WorkflowService } from './workflow.service.js';

/** Celery's `NotRegistered`, as the worker reports an unknown task. */
class NotRegistered extends Error {
  override name = 'NotRegistered';
}

/** Python's `IndexError` (`celery.accumulate` with an `index` past the arguments). */
class IndexError extends Error {
  override name = 'IndexError';
}

/** Celery's `NotImplementedError` (`celery.chain` is not a real task). */
class NotImplementedError extends Error {
  override name = 'NotImplementedError';
}

/**
 * Celery's built-in tasks (celery/app/builtins.py), so Node workers run what a Python producer
 * sends: `celery.map` / `celery.starmap` (call a task of this worker for each item, in this
 * process), `celery.chunks` (a group of starmaps), `celery.chord_unlock` (completes chords on
 * result backends without a native join: polls the header, then sends the body),
 * `celery.accumulate` (the chord body of `Task.replace(group)`), `celery.backend_cleanup`
 * (what Python's beat sends daily for backends without expiry), and the legacy
 * `celery.group`, `celery.chord` and `celery.chain`.
 */
@Injectable()
export class CeleryBuiltinTasks {
  constructor(
    private readonly registry: TaskRegistry,
    private readonly workflow: WorkflowService,
    private readonly ctx: TaskContext,
    @Inject(getResultBackendToken()) private readonly backend: ResultBackend | null,
  ) {}

  @Task('celery.map', { params: ['task', 'it'] })
  async map(task: unknown, it: unknown[]): Promise<unknown[]> {
    const handler = await this.handlerOf(task);
    const values: unknown[] = [];
    for (const item of it) values.push(await handler(item));
    return values;
  }

  @Task('celery.starmap', { params: ['task', 'it'] })
  async starmap(task: unknown, it: unknown[][]): Promise<unknown[]> {
    const handler = await this.handlerOf(task);
    const values: unknown[] = [];
    for (const args of it) values.push(await handler(...args));
    return values;
  }

  /** `chunks.apply_chunks`: one `celery.starmap` per chunk of `n`, sent as a group. */
  @Task('celery.chunks', { params: ['task', 'it', 'n'] })
  async chunks(task: unknown, it: unknown[][], n: number): Promise<ResultTuple> {
    const sig = this.signatureOf(task);
    const parts: SignatureDict[] = [];
    for (let i = 0; i < it.length; i += n) {
      parts.push({
        task: 'celery.starmap',
        args: [],
        kwargs: { task: sig, it: it.slice(i, i + n) },
        options: {},
        subtask_type: null,
        immutable: true,
      });
    }
    const groupId = randomUUID();
    const ids = await this.workflow.apply(
      groupSignature(parts, { task_id: groupId }),
      {},
      this.parent(),
    );
    return [[groupId, null], ids.map((id) => resultTuple(id))];
  }

  /** The arguments, or the one at kwarg `index` (Python's indexing: -1 is the last). */
  @Task('celery.accumulate')
  accumulate(...args: unknown[]): unknown {
    const index = this.ctx.kwargs.index;
    if (index === undefined || index === null) return args;
    if (typeof index !== 'number' || !Number.isInteger(index)) {
      throw new TypeError(`tuple indices must be integers, not ${JSON.stringify(index)}`);
    }
    if (index >= args.length || index < -args.length) {
      throw new IndexError('tuple index out of range');
    }
    return args.at(index);
  }

  /**
   * Delete the expired results of backends that keep them until then (the typeorm one); the
   * others expire entries themselves, and Celery's cleanup of those does nothing either.
   */
  @Task('celery.backend_cleanup')
  async backendCleanup(): Promise<null> {
    await this.backend?.cleanup?.();
    return null;
  }

  /**
   * Celery's `unlock_chord`: retry every `interval` seconds until every header result is
   * ready; then send the body with their values, or fail it with ChordError.
   */
  @Task('celery.chord_unlock', {
    params: ['group_id', 'callback', 'interval', 'max_retries', 'result'],
    maxRetries: null,
    ignoreResult: true,
  })
  async chordUnlock(
    _groupId: string,
    callback: unknown,
    interval: number | null = null,
    maxRetries: number | null = null,
    result: ResultTuple[] = [],
  ): Promise<void> {
    const body = this.signatureOf(callback);
    const metas = await readyHeader(
      this.backend,
      result.map((tuple) => tuple[0][0]),
    );
    if (!metas) throw new Retry({ countdown: interval ?? 1, maxRetries });
    const failed = metas.find((meta) => meta.status !== 'SUCCESS');
    if (failed) {
      const reason = `Dependency ${failed.task_id} raised ${exceptionRepr(failed.result)}`;
      await this.workflow.failChord(body, chordError(reason));
      return;
    }
    try {
      await this.workflow.apply(body, { args: [metas.map((m) => m.result)] }, this.parent());
    } catch (error) {
      const message = error instanceof Error ? `${error.name}('${error.message}')` : String(error);
      await this.workflow.failChord(body, chordError(`Callback error: ${message}`));
    }
  }

  /** Legacy `celery.group`: send each task with the group id; returns the group's tuple. */
  @Task('celery.group', {
    params: ['tasks', 'result', 'group_id', 'partial_args', 'add_to_parent'],
  })
  async group(
    tasks: unknown[],
    result: ResultTuple,
    groupId: string,
    partialArgs: unknown[] = [],
  ): Promise<ResultTuple> {
    for (const task of toSignatureList(tasks)) {
      await this.workflow.apply(
        task,
        { args: partialArgs, options: { group_id: groupId } },
        this.parent(),
      );
    }
    return result;
  }

  /** Legacy `celery.chord`: run the chord (header, body) with the partial args. */
  @Task('celery.chord', {
    params: ['header', 'body', 'partial_args', 'interval', 'countdown', 'max_retries', 'eager'],
  })
  async chord(header: unknown, body: unknown, partialArgs: unknown[] = []): Promise<null> {
    const chord: SignatureDict = {
      task: 'celery.chord',
      args: [],
      kwargs: { kwargs: {}, header, body: this.signatureOf(body) },
      options: {},
      subtask_type: 'chord',
      immutable: false,
    };
    await this.workflow.apply(chord, { args: partialArgs }, this.parent());
    return null;
  }

  @Task('celery.chain')
  chain(): never {
    throw new NotImplementedError('chain is not a real task');
  }

  private signatureOf(value: unknown): SignatureDict {
    const sig = toSignature(value);
    if (!sig) throw new TypeError(`Not a signature: ${JSON.stringify(value)}`);
    return sig;
  }

  /** The handler of a task of this worker (`signature(task).type`), or Celery's NotRegistered. */
  private async handlerOf(task: unknown): Promise<(...args: unknown[]) => unknown> {
    const name = this.signatureOf(task).task;
    const definition = this.registry.get(name);
    if (!definition) throw new NotRegistered(`'${name}'`);
    return definition.handler ?? (await definition.resolve());
  }

  private parent(): { id: string; rootId: string } {
    return { id: this.ctx.id, rootId: this.ctx.rootId };
  }
}
