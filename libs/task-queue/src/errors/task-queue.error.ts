/**
 * Base class of every error Celeriac throws. `name` is the concrete class name, so logs and
 * `instanceof` both work across the hierarchy.
 *
 * Hierarchy:
 * - TaskQueueError
 *   - ConfigurationError: bad module or task options (fails boot)
 *     - MissingPeerDependencyError: an option needs ioredis, amqplib or typeorm, not installed
 *   - DuplicateTaskError, TaskNotRegisteredError
 *   - InvalidMessageError: not a protocol v2 message / undecodable body / bad arguments
 *     - TaskArgumentsError: arguments that do not fit the handler or its schema
 *   - BrokerConnectionError (a publish that failed with it sent nothing), ResultBackendError
 *     - PublishOutcomeUnknownError (under BrokerConnectionError): a publish that may still be
 *       delivered; carries the task id
 *     - GroupStoreUnsupportedError (under ResultBackendError): the backend cannot save groups
 *   - UnserializableValueError: arguments or a result JSON cannot carry; says where
 *   - TaskTimeoutError: waiting for a result timed out
 *   - RemoteTaskError: a task failed; carries the remote class name, message and stack
 *   - IsolatedTaskError: a task that failed in a pool isolate, as the original error
 *   - TaskRevokedError, MaxRetriesExceededError, TimeLimitExceededError, SoftTimeLimitExceededError
 *   - WorkerLostError: the isolate running a task died or was killed at its hard time limit
 *   - NoActiveTransactionError, OutboxTableMissingError, AtomicBlockFailedError,
 *     DurableTransactionError, TransactionRolledBackError (transactions)
 * Control-flow signals (TaskSignal: `Retry`, `Reject`, `Ignore`, `UnrecoverableError`) are not
 * failures and live in task-signals.ts.
 * @publicApi
 */
export class TaskQueueError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    Object.setPrototypeOf(this, new.target.prototype);
  }
}
