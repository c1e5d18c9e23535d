import { Injectable } from '@nestjs/common';
import { DuplicateTaskError } from '../errors/duplicate-task.error.js';
import type { TaskDefinition } from './task-definition.js';

/** Task name → definition, filled by the explorer at module init. */
@Injectable()
export class TaskRegistry {
  private readonly tasks = new Map<string, TaskDefinition>();

  register(definition: TaskDefinition): void {
    const existing = this.tasks.get(definition.name);
    if (existing) throw new DuplicateTaskError(definition.name, existing.source, definition.source);
    this.tasks.set(definition.name, definition);
  }

  get(name: string): TaskDefinition | undefined {
    return this.tasks.get(name);
  }

  names(): string[] {
    return [...this.tasks.keys()].sort();
  }

  all(): TaskDefinition[] {
    return [...this.tasks.values()];
  }
}
