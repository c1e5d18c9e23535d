import { Injectable } from '@nestjs/common';
import type { TaskRequest } from '../protocol/task-request.js';

/**
 * What happens after a task body returns or fails: Celery's link callbacks, link_error
 * errbacks, chain continuation and chord joins carried in the message's `embed`
 * (celery-wire-protocol.md §2.3, §5.3, §6.3). Called by the executor once the outcome is stored.
 */
@Injectable()
export class WorkflowService {
  /** The task succeeded with `value`: run callbacks, continue the chain, count the chord part. */
  async onSuccess(_request: TaskRequest, _value: unknown, _hostname: string): Promise<void> {}

  /** The task failed for good: run errbacks, fail the chord. */
  async onFailure(_request: TaskRequest, _error: unknown, _hostname: string): Promise<void> {}
}
