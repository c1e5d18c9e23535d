// Celeriac public API: what an application uses. Deliberately not exported (they may change
// without notice): the explorer, metadata accessor, executor, dispatcher, constants, Lua
// loaders, the remote-control server (ControlServer), the Celery events publisher and Lamport
// clock. Building blocks for transport and tool authors (message factory and parser, broadcast
// transports, createBroker / createResultBackend from a URL) are in `celeriac/protocol`.

// Module and configuration
export { TaskQueueModule } from './task-queue.module.js';
export type {
  TaskQueueOptions,
  TaskRoute,
  WorkerOptions,
  IsolatePoolOptions,
  WorkerHttpOptions,
} from './config/task-queue-options.interface.js';
export type {
  TaskOptions,
  PoolKind,
  RateLimit,
  RetryBackoff,
  ErrorClass,
} from './contracts/task-options.interface.js';
export type {
  ApplyOptions,
  SendOptions,
  SignatureLike,
} from './contracts/apply-options.interface.js';
export type {
  StandardSchemaV1,
  StandardSchemaIssue,
  StandardSchemaResult,
} from './contracts/standard-schema.interface.js';

// Handlers
export { Task } from './tasks/task.decorator.js';
export { OnTaskEvent } from './tasks/on-task-event.decorator.js';
export { InjectBroker } from './tasks/inject-broker.decorator.js';
export { InjectResultBackend } from './tasks/inject-result-backend.decorator.js';
export { TaskContext } from './tasks/task-context.js';
export { TaskEvents, type TaskEvent, type TaskEventType } from './tasks/task-events.js';
export {
  TaskInstrumentation,
  TASK_INSTRUMENTATION,
  type OutgoingTask,
  type PublishReason,
  type TraceCarrier,
} from './tasks/task-instrumentation.js';
export { taskLogFields, type TaskLogFields } from './tasks/task-log-fields.js';
export type { TracingOptions } from './observability/tracing/tracing.options.js';

// Health and the worker's HTTP server (metrics: celeriac/prometheus, Terminus: celeriac/terminus)
export { TaskQueueHealth } from './observability/health/task-queue-health.service.js';
export type { CheckOutcome, ProbeOutcome } from './observability/health/health-check.types.js';
export { WorkerHttpServer } from './observability/http/worker-http.server.js';
export {
  METRICS_EXPOSITION,
  type MetricsExposition,
} from './observability/http/metrics-exposition.js';

// Producers and results
export { TaskClient } from './producer/task.client.js';
export { TaskProducer, type OnCommitTarget } from './producer/task-producer.js';
export type { ProducerOf, TaskArgs, TaskMethodName, TaskReturn } from './producer/task-types.js';
export { AsyncResult, type GetOptions } from './results/async-result.js';
export { GroupResult, type ResultHandle } from './results/group-result.js';
export type { ResultTuple } from './results/chord-parts.js';

// Canvas
export { Canvas, Chain, Chord, Group, Signature } from './producer/canvas/canvas-signature.js';
export {
  chain,
  chord,
  chunks,
  group,
  signature,
  xmap,
  xstarmap,
} from './producer/canvas/canvas.functions.js';
export type {
  AnyArgs,
  AnyCanvas,
  CanvasCommitTarget,
  CanvasLike,
  CanvasRunner,
  DropSuffix,
  ResultOf,
  ResultsOf,
  StepAccepting,
  SuffixOf,
} from './producer/canvas/canvas-types.js';
export type { SignatureOptions } from './producer/canvas/signature-options.js';
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
export { DeadLetters, deadLetterQueueOf, DEAD_LETTER_HEADERS } from './worker/dead-letters.js';
export { RevokedTasks, type RevokeOptions } from './revocation/revoked-tasks.js';
export type { Revocation, RevocationStore } from './contracts/revocation-store.interface.js';
export type { RateLimitStore } from './contracts/rate-limit-store.interface.js';

// Contracts and built-in implementations
export type {
  Broker,
  Consumer,
  ConsumeOptions,
  Delivery,
  DeliveryHandler,
  ParkedMessage,
  PublishOptions,
} from './contracts/broker.interface.js';
export { type QueueStats, SENT_AT_HEADER } from './contracts/queue-stats.interface.js';
export type {
  ResultBackend,
  SerializedError,
  StoreContext,
  TaskMeta,
  WaitOptions,
} from './contracts/result-backend.interface.js';
export type {
  MessageEmbed,
  SignatureDict,
  TaskBody,
  TaskHeaders,
  TaskMessage,
  TaskProperties,
} from './contracts/task-message.interface.js';
export type { TaskRequest } from './protocol/task-request.js';
export { MemoryBroker } from './transports/memory/memory.broker.js';
export { MemoryResultBackend } from './transports/memory/memory.result-backend.js';

// Tokens
export { getBrokerToken, getResultBackendToken } from './utils/tokens.js';

// Errors and control-flow signals
export * from './errors/index.js';

// Celery events and remote control
export { ControlClient } from './monitoring/remote-control/control.client.js';
export type {
  ControlCallOptions,
  ControlRevokeOptions,
  TaskRevoker,
} from './monitoring/remote-control/control-client.options.js';
export type {
  ControlReplies,
  ControlRequest,
} from './monitoring/remote-control/control-message.js';
export type { CeleryEventsOptions } from './config/events-options.js';
export { CeleryEventsReceiver } from './monitoring/celery-events/celery-events.receiver.js';
export type { CeleryEvent } from './monitoring/celery-events/event-fields.js';
export {
  ClusterState,
  type ClusterChange,
  type ClusterStateOptions,
} from './monitoring/cluster-state/cluster-state.js';
export { newTaskRecord, type TaskRecord } from './monitoring/cluster-state/task-record.js';
export type { WorkerRecord } from './monitoring/cluster-state/worker-record.js';
export type { TaskPage, TaskQuery } from './monitoring/cluster-state/task-query.js';

// Periodic tasks (beat)
export { TaskQueueBeatModule } from './task-queue-beat.module.js';
export type { BeatOptions } from './beat/beat-options.js';
export { Periodic, type PeriodicOptions } from './beat/periodic.decorator.js';
export { Schedules, type ScheduleInfo } from './beat/schedules.service.js';
export { BeatService } from './beat/beat.service.js';
export {
  BeatEvents,
  type BeatEvent,
  type BeatFiredEvent,
  type BeatLeaderEvent,
  type BeatPublishFailedEvent,
  type BeatSkippedEvent,
} from './beat/beat-events.js';
export { beatTaskId } from './beat/task-id.js';
export type {
  BeatLease,
  CatchUpPolicy,
  PendingFire,
  ScheduleClaim,
  ScheduleDefinition,
  ScheduleSaveOptions,
  ScheduleSpec,
  ScheduleState,
  ScheduleStore,
  StoredSchedule,
  StoredScheduleSpec,
} from './contracts/schedule-store.interface.js';
export { MemoryScheduleStore } from './transports/memory/memory.schedule-store.js';
