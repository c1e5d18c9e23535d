import { Injectable } from '@nestjs/common';
import type { PendingFire, ScheduleDefinition } from '../contracts/schedule-store.interface.js';
import { TaskClient } from '../producer/task.client.js';
import { DEDUPE_HEADER } from '../task-queue.constants.js';
import { PERIODIC_TASK_NAME_HEADER } from './beat.constants.js';

/**
 * When the message of a fire at `scheduledAt` expires: `expires` seconds after that instant;
 * for a django-celery-beat row without `expire_seconds`, at the row's `expires` (its `endAt`),
 * as django-celery-beat sets the message's expiry to `expire_seconds or expires`.
 */
export function messageExpiry(
  definition: ScheduleDefinition,
  scheduledAt: number,
): Date | undefined {
  if (definition.expires !== undefined) return new Date(scheduledAt + definition.expires * 1000);
  if (definition.source === 'django' && definition.endAt !== undefined) {
    return new Date(definition.endAt);
  }
  return undefined;
}

/**
 * Publishes fires as ordinary Celery task messages: the deterministic task id, the
 * `periodic_task_name` header, and the dedupe header so a second copy of a fire that already
 * succeeded is skipped by workers.
 */
@Injectable()
export class BeatPublisher {
  constructor(private readonly client: TaskClient) {}

  async publish(definition: ScheduleDefinition, fire: PendingFire): Promise<void> {
    await this.client.send(definition.task, definition.args, definition.kwargs, {
      taskId: fire.taskId,
      queue: definition.queue,
      exchange: definition.exchange,
      routingKey: definition.routingKey,
      priority: definition.priority,
      expires: messageExpiry(definition, fire.scheduledAt),
      headers: {
        ...definition.headers,
        [PERIODIC_TASK_NAME_HEADER]: definition.name,
        [DEDUPE_HEADER]: true,
      },
    });
  }

  /** Trigger now, outside the schedule: a fresh task id. */
  async publishNow(definition: ScheduleDefinition): Promise<string> {
    const result = await this.client.send(definition.task, definition.args, definition.kwargs, {
      queue: definition.queue,
      exchange: definition.exchange,
      routingKey: definition.routingKey,
      priority: definition.priority,
      headers: { ...definition.headers, [PERIODIC_TASK_NAME_HEADER]: definition.name },
    });
    return result.id;
  }
}
