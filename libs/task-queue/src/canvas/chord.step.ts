import { Logger } from '@nestjs/common';
import type { SerializedError, TaskMeta } from '../contracts/result-backend.interface.js';
import type { SignatureDict } from '../contracts/task-message.interface.js';
import type { ChordJoinCapable } from '../contracts/chord-join.interface.js';
import { applyErrbacks } from './errbacks.step.js';
import { chordError, outcomeMeta, syntheticTraceback } from './outcome-meta.js';
import type { SignaturePublisher } from '../producer/canvas/signature.publisher.js';
import { resultIdOf, toSignatureList, type ParentTask } from '../producer/canvas/signature.js';

/** One finished chord header task. */
export interface ChordPartReturn {
  groupId: string;
  groupIndex: number | null;
  /** The chord body (`embed.chord`), with its frozen `options.task_id`. */
  body: SignatureDict;
  /** The header task's outcome as stored (SUCCESS / FAILURE / REVOKED). */
  meta: TaskMeta;
  /** The header task (parent / root of the body message). */
  parent: ParentTask;
}

/**
 * The chord step after a header task's result is stored (docs/protocol.md#chord-join-on-redis, Celery's
 * `on_chord_part_return`): count the part in the backend's join; when the header is complete
 * publish the body with `[results]` prepended and release the join; when a part failed, mark
 * the body FAILURE with ChordError and run the body's errbacks (`chord_error_from_stack`).
 */
export class ChordStep {
  private readonly logger = new Logger('TaskQueue');

  constructor(
    private readonly publisher: SignaturePublisher,
    private readonly join: ChordJoinCapable | null,
    private readonly store: (meta: TaskMeta) => Promise<void>,
  ) {}

  async partReturned(part: ChordPartReturn): Promise<void> {
    // No join (database backends): the `celery.chord_unlock` task sent with the chord polls
    // the header and sends the body, as in Celery.
    if (!this.join) return;
    const outcome = await this.join.onChordPartReturn(part.groupId, part.groupIndex, part.meta);
    if (outcome.state === 'pending') return;
    try {
      if (outcome.state === 'failed') {
        const hint = outcome.hint
          ? ` Its body ${resultIdOf(part.body) ?? '(no id)'} is marked FAILURE. ${outcome.hint}`
          : '';
        this.logger.warn(
          `Chord ${part.groupId} failed: ${outcome.error.exc_message.join(', ')}.${hint}`,
        );
        await this.fail(part.body, outcome.error);
        return;
      }
      try {
        await this.publisher.apply(part.body, { args: [outcome.results] }, part.parent);
      } catch (error) {
        this.logger.error(`Chord ${part.groupId}: the body could not be sent: ${String(error)}`);
        await this.fail(part.body, chordError(`Callback error: ${pythonRepr(error)}`));
      }
    } finally {
      await outcome.release();
    }
  }

  /**
   * `chord_error_from_stack`: call the body's `link_error` errbacks with the body's id, then
   * store FAILURE with `error` for the body's id. A body that is a chain never runs either:
   * each of its steps gets the FAILURE, first to last (Celery 5.2.6 stores none of them), so
   * a client walking the body's parents is not left waiting on a PENDING step.
   */
  async fail(body: SignatureDict, error: SerializedError): Promise<void> {
    const bodyId = resultIdOf(body);
    try {
      await applyErrbacks(this.publisher, toSignatureList(body.options.link_error), bodyId, bodyId);
    } finally {
      for (const id of bodyStepIds(body)) {
        await this.store(outcomeMeta(id, 'FAILURE', error, syntheticTraceback(error)));
      }
    }
  }
}

/**
 * The result ids a failed chord's body would have produced: the body's own, or for a chain
 * body the id of each of its task steps, first to last (nested groups and chords are skipped:
 * their ids are not task results).
 */
function bodyStepIds(body: SignatureDict): string[] {
  if (body.subtask_type !== 'chain') {
    const id = resultIdOf(body);
    return id ? [id] : [];
  }
  const ids = toSignatureList(body.kwargs.tasks).flatMap((step) =>
    step.subtask_type == null || step.subtask_type === 'chain' ? bodyStepIds(step) : [],
  );
  const last = resultIdOf(body);
  return last && !ids.includes(last) ? [...ids, last] : ids;
}

function pythonRepr(error: unknown): string {
  return error instanceof Error ? `${error.name}('${error.message}')` : String(error);
}
