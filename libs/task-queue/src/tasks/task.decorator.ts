import { SetMetadata } from '@nestjs/common';
import type { TaskMetadata, TaskOptions } from '../contracts/task-options.interface.js';
import { assertInstanceMethod } from './instance-method.guard.js';
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
    assertInstanceMethod('@Task()', target, key, descriptor);
    return attach(target, key, descriptor);
  };
}

function withoutName(options: TaskOptions & { name?: string }): TaskOptions {
  const { name: _name, ...rest } = options;
  return rest;
}
