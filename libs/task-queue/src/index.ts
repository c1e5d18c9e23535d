// Celeriac public API. The explorer, metadata accessor, executor internals, constants and Lua
// loaders are deliberately not exported: they may change without notice.

// Module and configuration
export { TaskQueueModule } from './task-queue.module.js';
export type {
  TaskQueueOptions,
  TaskRoute,
  WorkerOptions,
} from './interfaces/task-queue-options.interface.js';
export type {
  TaskOptions,
  RateLimit,
  RetryBackoff,
  ErrorClass,
} from './interfaces/task-options.interface.js';
export type { ApplyOptions, SendOptions } from './interfaces/apply-options.interface.js';
export type {
  StandardSchemaV1,
  StandardSchemaIssue,
  StandardSchemaResult,
} from './interfaces/standard-schema.interface.js';

// Handlers
export { Task } from './decorators/task.decorator.js';
export { OnTaskEvent } from './decorators/on-task-event.decorator.js';
export { InjectBroker } from './decorators/inject-broker.decorator.js';
export { InjectResultBackend } from './decorators/inject-result-backend.decorator.js';
export { TaskContext } from './worker/task-context.js';
export { TaskEvents, type TaskEvent, type TaskEventType } from './worker/task-events.js';
export {
  TaskInstrumentation,
  TASK_INSTRUMENTATION,
  type OutgoingTask,
  type PublishReason,
  type TraceCarrier,
} from './tasks/task-instrumentation.js';
export { taskLogFields, type TaskLogFields } from './tasks/task-log-fields.js';
export type { TracingOptions } from './observability/tracing/tracing.options.js';

// Producers and results
export { TaskClient } from './core/task.client.js';
export { TaskProducer, type OnCommitTarget } from './core/task-producer.js';
export type { ProducerOf, TaskArgs, TaskMethodName, TaskReturn } from './core/task-types.js';
export { AsyncResult, type GetOptions } from './results/async-result.js';
export {
  TaskStates,
  READY_STATES,
  isReadyState,
  statePrecedence,
  type TaskState,
  type BuiltinTaskState,
} from './results/task-states.js';

// Worker
export { WorkerService } from './worker/worker.service.js';
export { handleShutdownSignals, type ShutdownSignalsOptions } from './worker/shutdown-signals.js';
export {
  DeadLetters,
  deadLetterQueueOf,
  DEAD_LETTER_HEADERS,
} from './worker/dead-letter.service.js';
export { RevokedTasks, type RevokeOptions } from './worker/revoked-tasks.js';
export type { Revocation, RevocationStore } from './interfaces/revocation-store.interface.js';
export type { RateLimitStore } from './interfaces/rate-limit-store.interface.js';

// Contracts and built-in implementations
export type {
  Broker,
  Consumer,
  ConsumeOptions,
  Delivery,
  DeliveryHandler,
  ParkedMessage,
  PublishOptions,
} from './interfaces/broker.interface.js';
export type {
  ResultBackend,
  SerializedError,
  StoreContext,
  TaskMeta,
  WaitOptions,
} from './interfaces/result-backend.interface.js';
export type {
  MessageEmbed,
  SignatureDict,
  TaskBody,
  TaskHeaders,
  TaskMessage,
  TaskProperties,
} from './interfaces/task-message.interface.js';
export type { TaskRequest } from './protocol/task-request.js';
export { createTaskMessage, type TaskMessageSpec } from './protocol/task-message.factory.js';
export { parseTaskMessage } from './protocol/task-message.parser.js';
export { MemoryBroker } from './brokers/memory/memory.broker.js';
export { MemoryResultBackend } from './backends/memory/memory.result-backend.js';
export { createBroker } from './factories/broker.factory.js';
export { createResultBackend } from './factories/result-backend.factory.js';

// Tokens
export { getBrokerToken, getResultBackendToken } from './utils/tokens.js';

// Errors and control-flow signals
export * from './errors/index.js';

// Celery events and remote control
export { ControlClient } from './control/control.client.js';
export { ControlServer } from './control/control.server.js';
export type {
  ControlCallOptions,
  ControlRevokeOptions,
  TaskRevoker,
} from './control/control-client.options.js';
export type { ControlReplies, ControlRequest } from './control/control-message.js';
export { createBroadcastTransport } from './control/transport/broadcast-transport.factory.js';
export type {
  BroadcastTransport,
  ExchangeSpec,
  IncomingMessage,
  OutgoingMessage,
  ReplyQueue,
  SubscriptionSpec,
} from './control/transport/broadcast-transport.interface.js';
export { CeleryEventsPublisher } from './events/celery-events.publisher.js';
export type { CeleryEventsOptions } from './events/events-options.js';
export { LamportClock } from './events/lamport-clock.js';
