import { Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { TaskMetadata } from '../contracts/task-options.interface.js';
import type { TaskEventListenerMetadata } from './on-task-event.decorator.js';
import { TASK_EVENT_METADATA, TASK_METADATA } from '../task-queue.constants.js';

/** The only place that reads `@Task()` metadata. */
@Injectable()
export class TaskMetadataAccessor {
  private static readonly reflector = new Reflector();

  getTaskMetadata(target: unknown): TaskMetadata | undefined {
    return TaskMetadataAccessor.read(target);
  }

  getTaskEventListener(target: unknown): TaskEventListenerMetadata | undefined {
    if (typeof target !== 'function') return undefined;
    return TaskMetadataAccessor.reflector.get<TaskEventListenerMetadata | undefined>(
      TASK_EVENT_METADATA,
      target,
    );
  }

  /** Static form for code that runs outside DI (typed producers built from a class). */
  static read(target: unknown): TaskMetadata | undefined {
    if (typeof target !== 'function') return undefined;
    return TaskMetadataAccessor.reflector.get<TaskMetadata | undefined>(TASK_METADATA, target);
  }

  /** The task name of `Class.prototype[method]`: explicit, or `<ClassName>.<methodName>`. */
  static taskName(className: string, method: string, metadata: TaskMetadata): string {
    return metadata.name ?? `${className}.${method}`;
  }
}
