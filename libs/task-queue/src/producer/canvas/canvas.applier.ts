import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { ResultBackend } from '../../contracts/result-backend.interface.js';
import type { SignatureDict } from '../../contracts/task-message.interface.js';
import { GroupResult, type ResultHandle } from '../../results/group-result.js';
import { addChildResult, taskContextStorage } from '../../tasks/task-context.storage.js';
import { getResultBackendToken } from '../../utils/tokens.js';
import { TaskDispatcher } from '../task.dispatcher.js';
import type { CanvasCommitTarget, CanvasRunner } from './canvas-types.js';
import { freezeSignature, unrollGroup, type ResultNode } from './freeze.js';
import { SignaturePublisher } from './signature.publisher.js';
import { toSignature, toSignatureList, type ApplyCall, type ParentTask } from './signature.js';

/** `task.map()` / `.starmap()` applied alone are routed like the task they call (`route_name`). */
const ROUTED_BY_TASK = new Set(['celery.map', 'celery.starmap']);

/**
 * Applies canvases built in Node (`producer.s()`, `chain()`, `group()`, `chord()` ...): freezes
 * them as Celery does (every task id known up front), sends the messages Celery would send
 * for the same canvas (SignaturePublisher), and hands out the result tree.
 */
@Injectable()
export class CanvasApplier implements CanvasRunner {
  constructor(
    @Inject(getResultBackendToken()) private readonly backend: ResultBackend | null,
    private readonly dispatcher: TaskDispatcher,
    private readonly publisher: SignaturePublisher,
  ) {}

  /** Freeze `dict`, send it, resolve the handle of what it produces. */
  async apply(dict: SignatureDict, call: ApplyCall): Promise<ResultHandle> {
    const frozen = structuredClone(dict);
    call = withRouteName(frozen, call);
    const node = this.freeze(frozen, call);
    const request = taskContextStorage.getStore()?.request;
    const parent: ParentTask | null = request ? { id: request.id, rootId: request.rootId } : null;
    await this.publisher.apply(frozen, call, parent);
    const handle = this.handle(node);
    if (parent) addChildResult(handle.asTuple());
    return handle;
  }

  /**
   * `apply` once the current transaction commits: every message of the canvas goes through
   * the on-commit strategy (after-commit publish, or the outbox in outbox mode). A Redis chord
   * size is written at once (it expires unused after a rollback).
   */
  async applyOnCommit(
    dict: SignatureDict,
    call: ApplyCall,
    target: CanvasCommitTarget,
  ): Promise<ResultHandle> {
    const frozen = structuredClone(dict);
    call = withRouteName(frozen, call);
    const node = this.freeze(frozen, call);
    const request = taskContextStorage.getStore()?.request;
    const parent: ParentTask | null = request ? { id: request.id, rootId: request.rootId } : null;
    const handle = this.handle(node);
    // Recorded in the sending task's children once, with the canvas's first message.
    let child = parent ? handle.asTuple() : undefined;
    await this.publisher.apply(frozen, call, parent, (prepared) => {
      const recorded = child;
      child = undefined;
      return this.dispatcher.dispatchOnCommit(
        prepared,
        target.manager,
        'applyAsyncOnCommit',
        recorded,
      );
    });
    return handle;
  }

  /**
   * Celery freezes a top-level group and chord differently from nested ones (`_freeze_gid`:
   * members get the group id, no index; a chord's members get their index).
   */
  private freeze(sig: SignatureDict, call: ApplyCall): ResultNode {
    const replyTo = this.backend?.replyTo ?? '';
    if (sig.subtask_type !== 'group') return freezeSignature(sig, replyTo);
    const taskId = call.options?.task_id ?? sig.options.task_id;
    const groupId = typeof taskId === 'string' ? taskId : randomUUID();
    sig.options.task_id = groupId;
    const members = unrollGroup(toSignatureList(sig.kwargs.tasks));
    sig.kwargs = { ...sig.kwargs, tasks: members };
    const children = members.map((member) => freezeSignature(member, replyTo, { groupId }));
    return { kind: 'group', id: groupId, children, parent: null };
  }

  private handle(node: ResultNode): ResultHandle {
    const handle: ResultHandle =
      node.kind === 'group'
        ? new GroupResult(
            node.id,
            node.children.map((child) => this.handle(child)),
            this.backend,
          )
        : this.dispatcher.result(node.id, node.name);
    if (node.parent) handle.parent = this.handle(node.parent);
    return handle;
  }
}

/** `task.map()` / `.starmap()` applied alone are routed like the task they call. */
function withRouteName(sig: SignatureDict, call: ApplyCall): ApplyCall {
  const inner = ROUTED_BY_TASK.has(sig.task) ? toSignature(sig.kwargs.task) : null;
  return inner ? { ...call, options: { route_name: inner.task, ...call.options } } : call;
}
