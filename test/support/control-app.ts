import { Injectable, type INestApplicationContext } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { Task, TaskContext } from 'celeriac';
import type { CeleryEventsOptions } from 'celeriac';
import { createTaskQueueApp } from './task-queue-app.js';

/** Tasks of the Node worker in the control / events specs. */
@Injectable()
export class ControlTasks {
  constructor(private readonly ctx: TaskContext) {}

  @Task('node.echo')
  echo(value: string): string {
    return value;
  }

  /** Retries once after 0.1 s (bare, or with `cause` as its error), then returns the retries. */
  @Task('node.retry_once')
  retryOnce(cause = ''): number {
    if (this.ctx.retries === 0) {
      this.ctx.retry({ countdown: 0.1, error: cause ? new RangeError(cause) : undefined });
    }
    return this.ctx.retries;
  }

  @Task('node.slow')
  async slow(ms: number): Promise<number> {
    // Ends when revoked with terminate or over its time limit, as a well-behaved task does.
    await sleep(ms, undefined, { signal: this.ctx.signal });
    return ms;
  }
}

/** A Celeriac worker app on `broker`, consuming `queue` as `nodename`; task events on unless `events` says otherwise. */
export async function createControlApp(
  broker: string,
  queue: string,
  nodename: string,
  events: CeleryEventsOptions = { taskEvents: true },
): Promise<INestApplicationContext> {
  return createTaskQueueApp(
    {
      broker,
      resultBackend: 'memory://',
      defaultQueue: queue,
      worker: { queues: [queue], hostname: nodename, concurrency: 2 },
      events,
    },
    { providers: [ControlTasks] },
  );
}
