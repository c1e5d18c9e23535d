import { SetMetadata } from '@nestjs/common';
import type { TaskMetadata, TaskOptions } from '../contracts/task-options.interface.js';
import { ConfigurationError } from '../errors/configuration.error.js';
import { TASK_ON_NON_METHOD } from '../task-queue.messages.js';
import { TASK_METADATA } from '../task-queue.constants.js';

/**
 * Marks a provider method as a task. The default name is `<ClassName>.<methodName>`; give an
 * explicit name (`@Task('orders.process')`) when other languages call the task, or when the
 * build minifies class names.
 *
 * @example
 * ＠Task('orders.process', { maxRetries: 5, retryBackoff: true })
 * async process(orderId: number): Promise<Receipt> { ... }
 * @publicApi
 */
export function Task(name?: string, options?: TaskOptions): MethodDecorator;
export function Task(options: TaskOptions & { name?: string }): MethodDecorator;
export function Task(
  nameOrOptions?: string | (TaskOptions & { name?: string }),
  options: TaskOptions = {},
): MethodDecorator {
  const metadata: TaskMetadata =
    typeof nameOrOptions === 'object'
      ? { name: nameOrOptions.name, options: withoutName(nameOrOptions) }
      : { name: nameOrOptions, options };
  const attach = SetMetadata(TASK_METADATA, metadata);
  return (target, key, descriptor) => {
    // A static method or an accessor would never be found on the provider's instance: say so
    // now, instead of a task that no worker registers (or Reflect's bare TypeError).
    const misplaced =
      typeof target === 'function'
        ? 'a static method'
        : typeof descriptor?.value !== 'function'
          ? 'not a method (a getter, setter or field)'
          : undefined;
    if (misplaced) {
      const owner = typeof target === 'function' ? target : target.constructor;
      throw new ConfigurationError(TASK_ON_NON_METHOD(owner.name, String(key), misplaced));
    }
    return attach(target, key, descriptor);
  };
}

function withoutName(options: TaskOptions & { name?: string }): TaskOptions {
  const { name: _name, ...rest } = options;
  return rest;
}
