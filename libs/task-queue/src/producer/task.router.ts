import { Inject, Injectable } from '@nestjs/common';
import type { ResolvedTaskQueueOptions } from '../config/resolved-options.js';
import type { TaskOptions } from '../contracts/task-options.interface.js';
import { getTaskQueueConfigToken } from '../utils/tokens.js';

export interface Destination {
  queue: string;
  priority: number | undefined;
  /** Both set, or neither: publish to the exchange with the routing key (Celery's rule). */
  exchange?: string;
  routingKey?: string;
}

/**
 * Decides where a task goes. Precedence, as in Celery: the call's options, then the task's own
 * options, then the first matching route glob, then `defaultQueue`. A route's exchange and
 * routing key apply only when neither the call nor the task names a queue or an exchange of
 * its own: a queue named there is where the task goes (Celery would keep the route's exchange).
 */
@Injectable()
export class TaskRouter {
  constructor(
    @Inject(getTaskQueueConfigToken()) private readonly config: ResolvedTaskQueueOptions,
  ) {}

  route(
    name: string,
    taskOptions: TaskOptions,
    call: { queue?: string; priority?: number; exchange?: string; routingKey?: string },
  ): Destination {
    const route = this.config.routes.find((r) => r.matcher.test(name))?.route;
    const destination: Destination = {
      queue: call.queue ?? taskOptions.queue ?? route?.queue ?? this.config.defaultQueue,
      priority: call.priority ?? taskOptions.priority ?? route?.priority,
    };
    // Celery's send_task_message: the anonymous exchange (the queue) unless both are set.
    if (call.exchange && call.routingKey) {
      destination.exchange = call.exchange;
      destination.routingKey = call.routingKey;
    } else if (
      route?.exchange &&
      route.routingKey &&
      call.queue === undefined &&
      taskOptions.queue === undefined
    ) {
      destination.exchange = route.exchange;
      destination.routingKey = route.routingKey;
    }
    return destination;
  }
}
