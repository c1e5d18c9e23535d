import type { StoreContext, TaskMeta } from '../contracts/result-backend.interface.js';
import type { TaskRequest } from '../protocol/task-request.js';
import type { ChordStep } from './chord.step.js';
import { outcomeMeta } from './outcome-meta.js';
import { toSignature, toSignatureList } from '../producer/canvas/signature.js';

const str = (value: unknown): string | null =>
  typeof value === 'string' && value.length > 0 ? value : null;

/**
 * Celery 5.2's `mark_as_failure` for the chain a failed task carried: the chain does not go on,
 * but each remaining step with a frozen `options.task_id` gets the same FAILURE stored (so a
 * client waiting on the chain's last result is not left waiting), and a step that belongs to a
 * chord (`options.chord`) is counted as a failed part of it, so the chord fails instead of
 * stalling. On rpc:// the failure goes to the reply queue in the step's `options.reply_to`
 * (Celery's clients freeze it into every step), with the step's id as correlation id.
 */
export async function failRemainingChain(
  request: TaskRequest,
  failure: TaskMeta,
  store: (meta: TaskMeta, context?: StoreContext) => Promise<void>,
  chord: ChordStep,
): Promise<void> {
  // `embed.chain` is reversed: store from the next step to the last, so that once a client sees
  // the chain's last result failed, every step before it reads failed too.
  for (const step of toSignatureList(request.embed.chain).reverse()) {
    const taskId = str(step.options.task_id);
    const groupId = str(step.options.group_id);
    if (taskId) {
      const replyTo = str(step.options.reply_to);
      await store(
        outcomeMeta(taskId, failure.status, failure.result, failure.traceback, {
          groupId,
          parentId: str(step.options.parent_id),
        }),
        replyTo ? { replyTo, correlationId: taskId } : undefined,
      );
    }
    const body = toSignature(step.options.chord);
    if (body && taskId && groupId) {
      const index = step.options.group_index;
      await chord.partReturned({
        groupId,
        groupIndex: typeof index === 'number' ? index : null,
        body,
        meta: { ...failure, task_id: taskId },
        parent: { id: request.id, rootId: request.rootId },
      });
    }
  }
}
