import type { TaskRequest } from '../protocol/task-request.js';

/**
 * False when a success has nothing to apply: no link callbacks, no chain and no chord in the
 * message's `embed` (the common plain task). `WorkflowService.onSuccess` would do nothing then,
 * so the executor skips the call and its await layers on the hot path.
 */
export function hasSuccessSteps(request: TaskRequest): boolean {
  const { embed } = request;
  return embed.callbacks != null || embed.chain != null || embed.chord != null;
}
