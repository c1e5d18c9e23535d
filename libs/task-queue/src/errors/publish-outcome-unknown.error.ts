import { BrokerConnectionError } from './broker-connection.error.js';

/**
 * A publish failed in a way that leaves its outcome unknown: the message was handed to the
 * broker (written to the socket, or queued by the client for a resend after a reconnect) but
 * the broker did not confirm it in time. It may still be delivered. Retry with the same task
 * id, `applyAsync(args, { taskId: error.taskId })`, and give the task `dedupe: true` so a
 * worker skips the copy whose id already succeeded.
 *
 * A plain {@link BrokerConnectionError} from a publish means nothing was sent.
 * @publicApi
 */
export class PublishOutcomeUnknownError extends BrokerConnectionError {
  /** The id of the task whose message may have been delivered (when the publish had one). */
  readonly taskId?: string;

  constructor(message: string, options: { cause?: unknown; taskId?: string } = {}) {
    super(message, { cause: options.cause });
    this.taskId = options.taskId;
  }

  /** The same error, naming the task whose publish it was. */
  static forTask(error: PublishOutcomeUnknownError, taskId: string): PublishOutcomeUnknownError {
    if (error.taskId === taskId) return error;
    return new PublishOutcomeUnknownError(`${error.message} Task id: ${taskId}.`, {
      cause: error.cause ?? error,
      taskId,
    });
  }
}
