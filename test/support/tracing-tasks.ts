import { Injectable } from '@nestjs/common';
import { Task, TaskClient, TaskContext } from 'celeriac';

/** Marks the first attempt of `traced.flaky` as failed. */
export class FirstAttemptError extends Error {
  override name = 'FirstAttemptError';
}

/**
 * Tasks of the tracing e2e: `traced.flaky` fails its first attempt (autoretry, no delay), then
 * sends `traced.child` on the queue it was given and returns.
 */
@Injectable()
export class TracedTasks {
  /** Ids of finished `traced.child` runs. */
  readonly children: string[] = [];

  constructor(
    private readonly client: TaskClient,
    private readonly context: TaskContext,
  ) {}

  @Task({
    name: 'traced.flaky',
    autoretryFor: [FirstAttemptError],
    defaultRetryDelay: 0,
    maxRetries: 2,
  })
  async flaky(queue: string): Promise<string> {
    if (this.context.retries === 0) throw new FirstAttemptError('first attempt fails');
    await this.client.get(TracedTasks, 'child').applyAsync([this.context.id], { queue });
    return 'ok';
  }

  @Task({ name: 'traced.add' })
  add(x: number, y: number): number {
    return x + y;
  }

  @Task({ name: 'traced.child' })
  child(parent: string): string {
    this.children.push(this.context.id);
    return parent;
  }
}
