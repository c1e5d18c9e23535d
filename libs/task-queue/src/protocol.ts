// `celeriac/protocol`: Celery protocol v2 messages and transport factories, for people writing
// transports, tools or tests that speak the wire format directly (the message types are in `celeriac`, with the Broker
// contract). Applications send tasks with TaskClient / TaskProducer.
export { createTaskMessage, type TaskMessageSpec } from './protocol/task-message.factory.js';
export { parseTaskMessage } from './protocol/task-message.parser.js';
export type { TaskRequest } from './protocol/task-request.js';
export type {
  BroadcastTransport,
  ExchangeSpec,
  IncomingMessage,
  OutgoingMessage,
  ReplyQueue,
  SubscriptionSpec,
} from './contracts/broadcast-transport.interface.js';
export { createBroadcastTransport } from './transports/broadcast-transport.factory.js';
// A transport from a URL, as `TaskQueueModule` builds it from `broker` / `resultBackend`.
export { createBroker } from './transports/broker.factory.js';
export { createResultBackend } from './transports/result-backend.factory.js';
