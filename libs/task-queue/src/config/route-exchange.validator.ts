import { ConfigurationError } from '../errors/configuration.error.js';
import type { TaskRoute } from './task-queue-options.interface.js';

/**
 * A route's `exchange` and `routingKey` go together. Celery publishes to the queue unless both
 * are set, so one alone would be silently ignored there: refuse it here instead.
 */
export function validateRouteExchange(pattern: string, route: TaskRoute): void {
  const { exchange, routingKey } = route;
  const where = `TaskQueueModule: routes['${pattern}']`;
  for (const [name, value] of [
    ['exchange', exchange],
    ['routingKey', routingKey],
  ] as const) {
    if (value !== undefined && (typeof value !== 'string' || value.length === 0)) {
      throw new ConfigurationError(
        `${where}.${name} must be a non-empty string, got ${JSON.stringify(value)}.`,
      );
    }
  }
  if ((exchange === undefined) !== (routingKey === undefined)) {
    const [given, missing] =
      exchange === undefined ? ['routingKey', 'exchange'] : ['exchange', 'routingKey'];
    throw new ConfigurationError(
      `${where} sets ${given} without ${missing}: a task is published to an exchange only ` +
        `with both (as Celery does, which would silently send it to the queue). Add ` +
        `${missing}, or remove ${given} to route by queue.`,
    );
  }
}
