import { Injectable, Module } from '@nestjs/common';
import { BeatService, Task, TaskQueueBeatModule, TaskQueueModule } from 'celeriac';
import { poolEnv } from './pool-env.js';

const env = poolEnv();

/** What a task in an isolate sees of the roles its module would take in a worker. */
@Injectable()
export class PoolRoleTasks {
  constructor(private readonly beat: BeatService) {}

  @Task('pools.roles', { pool: 'processes' })
  roles(): { pid: number; beatLeader: boolean } {
    return { pid: process.pid, beatLeader: this.beat.isLeader };
  }
}

/**
 * An isolate module written as a worker's own module, as docs/pools.md suggests naming it:
 * `worker.http` on the parent's port (`POOLS_HTTP_PORT`) and a beat that competes for the
 * lease. Inside an isolate neither may start: the parent serves the probes and runs the beat.
 */
@Module({
  imports: [
    TaskQueueModule.forRoot({
      broker: env.broker,
      resultBackend: env.backend,
      defaultQueue: env.queue,
      events: { enabled: false },
      worker: { http: { port: Number(env.httpPort ?? 0), host: '127.0.0.1' } },
    }),
    TaskQueueBeatModule.forRoot({ store: `memory://${env.queue}` }),
  ],
  providers: [PoolRoleTasks],
})
export class PoolWorkerLikeModule {}
