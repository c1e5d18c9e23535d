import { Inject, Injectable, Logger } from '@nestjs/common';
import type {
  ResultBackend,
  SerializedError,
  StoreContext,
  TaskMeta,
} from '../contracts/result-backend.interface.js';
import type { SignatureDict } from '../contracts/task-message.interface.js';
import { errorTraceback, serializeError } from '../protocol/celery-error.codec.js';
import { PublishOutcomeUnknownError } from '../errors/publish-outcome-unknown.error.js';
import type { TaskRequest } from '../protocol/task-request.js';
import type { TaskState } from '../results/task-states.js';
import { getResultBackendToken } from '../utils/tokens.js';
import { applyCallbacks } from './callbacks.step.js';
import { failRemainingChain } from './chain-failure.step.js';
import { continueChain } from './chain.step.js';
import type { ChordJoinCapable } from '../contracts/chord-join.interface.js';
import { ChordStep } from './chord.step.js';
import { applyErrbacks } from './errbacks.step.js';
import { outcomeMeta } from './outcome-meta.js';
import { SignaturePublisher } from '../producer/canvas/signature.publisher.js';
import { hasSuccessSteps } from './success-steps.js';
import {
  toSignature,
  toSignatureList,
  type ApplyCall,
  type ParentTask,
} from '../producer/canvas/signature.js';
import { taskLogFields } from '../tasks/task-log-fields.js';
import type { RunningTask } from '../tasks/task-context.storage.js';
import type { ResultTuple } from '../results/chord-parts.js';

/**
 * What happens after a task body returns or fails: Celery's link callbacks, link_error
 * errbacks, chain continuation and chord joins carried in the message's `embed`
 * (docs/protocol.md#message-body, #chord-join-on-redis, #after-the-task-returns). Called by the executor once the outcome is stored.
 * A link callback or chain step the broker refuses is returned, to fail the task with (as in
 * Celery); any other step that fails is logged and leaves the task's outcome as it is.
 */
@Injectable()
export class WorkflowService {
  private readonly logger = new Logger('TaskQueue');
  private readonly chord: ChordStep;
  /** The chord join of the configured backend (null: chords cannot complete). */
  readonly chordJoin: ChordJoinCapable | null;

  constructor(
    @Inject(getResultBackendToken()) private readonly backend: ResultBackend | null,
    private readonly publisher: SignaturePublisher,
  ) {
    this.chordJoin = publisher.chordJoin;
    this.chord = new ChordStep(this.publisher, this.chordJoin, (meta) => this.store(meta));
  }

  /**
   * The task succeeded with `value`, before its result is stored (Celery's trace order): apply
   * the callbacks and continue the chain; what they sent is added to `running.children`.
   * Resolves the error when the broker refused a send: the task then fails with it, as in
   * Celery (whose trace marks the task FAILURE, calls its errbacks and fails the rest of its
   * chain). A send whose outcome is unknown (it may have gone) is only logged.
   */
  async beforeStore(
    request: TaskRequest,
    value: unknown,
    running: Pick<RunningTask, 'children'>,
  ): Promise<Error | null> {
    const sent: ResultTuple[] = [];
    let what = 'link callbacks';
    try {
      sent.push(...(await applyCallbacks(this.publisher, request, value)));
      what = 'chain';
      sent.push(...(await continueChain(this.publisher, request, value)));
    } catch (error) {
      if (error instanceof PublishOutcomeUnknownError) {
        await this.step(request, what, () => Promise.reject(error));
      } else {
        this.logger.error(
          `Task ${request.name}[${request.id}] fails: the broker refused its ${what} step ` +
            `(${(error as Error).message}). As in Celery, the task is marked FAILURE with that ` +
            `error, its link_error errbacks run and the rest of its chain fails; fix the ` +
            `callback's queue or routing (see the error) and call the task again.`,
          taskLogFields(request),
        );
        return error instanceof Error ? error : new Error(String(error));
      }
    }
    if (sent.length > 0) (running.children ??= []).push(...sent);
    return null;
  }

  /** After the success is stored: count the chord part. */
  async afterStore(request: TaskRequest, value: unknown): Promise<void> {
    await this.chordPart(request, 'SUCCESS', value, null);
  }

  /** Both success steps, for callers without a result to store in between. */
  async onSuccess(request: TaskRequest, value: unknown, _hostname: string): Promise<void> {
    if (!hasSuccessSteps(request)) return;
    await this.beforeStore(request, value, {});
    await this.afterStore(request, value);
  }

  /**
   * The task failed for good (Celery's `mark_as_failure`): count the failed chord part, store
   * the failure for the remaining chain steps, then send the errbacks with the task id.
   */
  async onFailure(request: TaskRequest, error: unknown, _hostname: string): Promise<void> {
    const failure = outcomeMeta(
      request.id,
      'FAILURE',
      serializeError(error),
      errorTraceback(error),
    );
    await this.chordPart(request, 'FAILURE', failure.result, failure.traceback);
    await this.step(request, 'chain failure', () =>
      failRemainingChain(request, failure, (meta, ctx) => this.store(meta, ctx), this.chord),
    );
    await this.step(request, 'link_error errbacks', () =>
      applyErrbacks(
        this.publisher,
        toSignatureList(request.embed.errbacks),
        request.id,
        request.rootId,
      ),
    );
  }

  /**
   * The task was revoked (Celery's `mark_as_revoked`): a chord header member counts as a
   * REVOKED part, which fails the chord. `result` is the stored TaskRevokedError.
   */
  async onRevoked(request: TaskRequest, result: unknown, _hostname: string): Promise<void> {
    await this.chordPart(request, 'REVOKED', result, null);
  }

  /**
   * Apply a signature dict on behalf of `parent` (Celery's `signature(d).apply_async()` in a
   * task): the built-in tasks use it. Resolves the ids of the published messages.
   */
  apply(sig: SignatureDict, call: ApplyCall, parent: ParentTask | null): Promise<string[]> {
    return this.publisher.apply(sig, call, parent);
  }

  /** Fail a chord body with `error` and run its errbacks (`chord_error_from_stack`). */
  failChord(body: SignatureDict, error: SerializedError): Promise<void> {
    return this.chord.fail(body, error);
  }

  /** Chord header member (`group` header set and `embed.chord` present): join the chord. */
  private async chordPart(
    request: TaskRequest,
    status: TaskState,
    result: unknown,
    traceback: string | null,
  ): Promise<void> {
    const body = toSignature(request.embed.chord);
    if (!body || !request.group) return;
    const groupId = request.group;
    await this.step(request, `chord ${groupId}`, () =>
      this.chord.partReturned({
        groupId,
        groupIndex: request.groupIndex,
        body,
        meta: outcomeMeta(request.id, status, result, traceback, {
          groupId,
          parentId: request.parentId,
        }),
        parent: { id: request.id, rootId: request.rootId },
      }),
    );
  }

  private async store(meta: TaskMeta, context?: StoreContext): Promise<void> {
    if (!this.backend) return;
    try {
      await this.backend.store(meta, context);
    } catch (error) {
      this.logger.error(
        `Could not store ${meta.status} of task ${meta.task_id}: ${(error as Error).message}`,
      );
    }
  }

  private async step(request: TaskRequest, what: string, run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (error) {
      this.logger.error(
        `Task ${request.name}[${request.id}]: the ${what} step failed: ${(error as Error).message}`,
        taskLogFields(request),
        (error as Error).stack,
      );
    }
  }
}
