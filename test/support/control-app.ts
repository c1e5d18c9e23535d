import { Injectable, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Task, TaskQueueModule } from 'celeriac';
import type { CeleryEventsOptions } from '../../libs/task-queue/src/config/events-options.js';

/** Tasks of the Node worker in the control / events specs. */
@Injectable()
export class ControlTasks {
  @Task('node.echo')
  echo(value: string): string {
    return value;
  }

  @Task('node.slow')
  async slow(ms: number): Promise<number> {
    await new Promise((r) => setTimeout(r, ms));
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
  const moduleRef = await Test.createTestingModule({
    imports: [
      TaskQueueModule.forRoot({
        broker,
        resultBackend: 'memory://',
        defaultQueue: queue,
        worker: { queues: [queue], hostname: nodename, banner: false, concurrency: 2 },
        events,
      }),
    ],
    providers: [ControlTasks],
  }).compile();
  await moduleRef.init();
  return moduleRef;
}
