/**
 * Attribute names of the OpenTelemetry messaging semantic conventions (status: development),
 * and Celery / Celeriac ones. Kept here rather than importing the incubating entry point of
 * `@opentelemetry/semantic-conventions`: the library depends on `@opentelemetry/api` only.
 */
export const ATTR = {
  system: 'messaging.system',
  operationName: 'messaging.operation.name',
  operationType: 'messaging.operation.type',
  destination: 'messaging.destination.name',
  messageId: 'messaging.message.id',
  conversationId: 'messaging.message.conversation_id',
  routingKey: 'messaging.rabbitmq.destination.routing_key',
  taskName: 'celery.task_name',
  retries: 'celery.retries',
  state: 'celery.state',
  eta: 'celery.eta',
  dispatch: 'celeriac.dispatch',
  dispatchDelay: 'celeriac.dispatch.delay_ms',
  linkType: 'celeriac.link.type',
} as const;

/** `messaging.system` of a broker transport (`redis` has no registered value: it is custom). */
export function messagingSystemOf(transport: string): string {
  return transport === 'amqp' ? 'rabbitmq' : transport;
}
