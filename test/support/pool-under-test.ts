import { Module, type INestApplicationContext } from '@nestjs/common';
import { ControlClient, TaskClient, TaskEvents, WorkerService, type WorkerOptions } from 'celeriac';
import { Redis } from 'ioredis';
import { filter, firstValueFrom } from 'rxjs';
import { expect } from 'vitest';
import { createApp } from '../../libs/task-queue/src/__fixtures__/create-app.js';
import { PoolTasks } from '../../apps/pools/src/pool.tasks.js';
import { poolAppOptions } from './pool-app.js';
import { REDIS_URL } from './redis-test-server.js';
import { uniqueName } from './unique-name.js';

@Module({ providers: [PoolTasks] })
class MainTasks {}

/**
 * A worker app serving apps/pools' tasks in an isolate pool, on the shared Redis and a queue of
 * its own, with what the pool fault suites ask of it.
 */
export class PoolUnderTest {
  readonly client: TaskClient;

  private constructor(
    readonly app: INestApplicationContext,
    readonly queue: string,
  ) {
    this.client = app.get(TaskClient);
  }

  /**
   * Concurrency 8, 2 isolates and a spare unless told otherwise. The node name is its own: the
   * control replies (`inspect stats`, revoke) of another suite's worker on the same Redis
   * would otherwise come under the same name.
   */
  static async start(
    isolates: Partial<NonNullable<WorkerOptions['isolates']>> = {},
    worker: Partial<WorkerOptions> = {},
  ): Promise<PoolUnderTest> {
    const hostname = `${uniqueName('pools')}@%h`;
    const pool = poolAppOptions(
      { concurrency: 8, hostname, ...worker },
      { size: 2, spare: 1, ...isolates },
    );
    return new PoolUnderTest(await createApp(pool.options, [MainTasks]), pool.queue);
  }

  /** Runs `name` to its end and returns its stored error, asserting that it failed. */
  async failure(name: string, args: unknown[] = []): Promise<Record<string, unknown>> {
    const result = await this.client.send(name, args);
    await result.get({ timeout: 20_000, propagate: false });
    const meta = await result.meta();
    expect(meta?.status).toBe('FAILURE');
    return meta!.result as Record<string, unknown>;
  }

  /** Resolves at the next task-started event of `name`. */
  started(name: string): Promise<unknown> {
    return firstValueFrom(
      this.app
        .get(TaskEvents)
        .on('task-started')
        .pipe(filter((e) => e.name === name)),
    );
  }

  /** The pids of the serving process isolates, from `inspect stats`. */
  async processIsolates(): Promise<number[]> {
    const node = this.app.get(WorkerService).hostname;
    const stats = (
      await this.app.get(ControlClient).stats({ destination: [node], timeout: 2_000 })
    )[node]!;
    const pool = stats.pool as { isolates: { processes: { processes: number[] } } };
    return pool.isolates.processes.processes;
  }

  /** What a closed app left in Redis: the stored result of `id` and the queue's length. */
  async leftInRedis(id: string): Promise<{ stored: string | null; queued: number }> {
    const redis = new Redis(REDIS_URL);
    try {
      return {
        stored: await redis.get(`celery-task-meta-${id}`),
        queued: await redis.llen(this.queue),
      };
    } finally {
      await redis.quit();
    }
  }
}
