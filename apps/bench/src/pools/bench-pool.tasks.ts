import { Injectable, Module } from '@nestjs/common';
import { Task, TaskQueueModule } from 'celeriac';
import { burn } from './burn.js';

/** The pool bench's tasks; where they run is the worker's `pool` option. */
@Injectable()
export class BenchPoolTasks {
  @Task('bench.pool_noop')
  noop(): null {
    return null;
  }

  @Task('bench.pool_cpu')
  cpu(units: number): number {
    return burn(units);
  }
}

/** What each isolate boots: the tasks, and a producer-only TaskQueueModule. */
@Module({
  imports: [
    TaskQueueModule.forRoot({
      broker: process.env.BENCH_POOL_BROKER ?? 'redis://127.0.0.1:6379/0',
      resultBackend: false,
      events: { enabled: false },
    }),
  ],
  providers: [BenchPoolTasks],
})
export class BenchPoolIsolateModule {}
