import type { Logger } from '@nestjs/common';
import { describeThrownLine } from '../protocol/thrown-value.js';
import { globToRegExp } from '../utils/glob.js';
import type { TaskEventListenerMetadata } from './on-task-event.decorator.js';
import type { TaskEvents } from './task-events.js';

type Handler = (...args: unknown[]) => unknown;

/**
 * Subscribes `@OnTaskEvent()` methods to the {@link TaskEvents} stream. A listener that throws
 * or rejects is logged; it never affects the task or the other listeners.
 */
export class TaskEventListeners {
  constructor(
    private readonly events: TaskEvents,
    private readonly logger: Logger,
  ) {}

  /** Subscribe `className.method` of `instance` (undefined: request-scoped, so ignored). */
  subscribe(
    className: string,
    method: string,
    listener: TaskEventListenerMetadata,
    instance: object | undefined,
  ): void {
    if (!instance) {
      this.logger.warn(
        `@OnTaskEvent on ${className}.${method} is ignored: the provider is request-scoped or transient. ` +
          `Put task event listeners on a singleton provider.`,
      );
      return;
    }
    const matcher = listener.task ? globToRegExp(listener.task) : undefined;
    const handler = (instance as Record<string, Handler>)[method]!.bind(instance);
    this.events.on(listener.type).subscribe((event) => {
      if (matcher && !matcher.test(event.name)) return;
      const fail = (error: unknown): void =>
        this.logger.error(
          `Task event listener ${className}.${method} failed on ${event.type} of ${event.name}[${event.taskId}]: ` +
            `${describeThrownLine(error)}`,
        );
      try {
        Promise.resolve(handler(event)).catch(fail);
      } catch (error) {
        fail(error);
      }
    });
  }
}
