import 'reflect-metadata';
import { Injectable, Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Task, TaskEvents, TaskQueueModule, WorkerService } from 'celeriac';
import { InteropTasks } from '../../../interop/src/interop.tasks.js';
import type { WorkerChildConfig } from '../ipc.js';
import { runWorkerChild } from './worker-harness.js';

/** The bench's no-op task, named as the Python bench module names it. */
@Injectable()
export class BenchTasks {
  @Task('bench.noop')
  noop(): null {
    return null;
  }
}

/** `celeriac/prometheus`, loaded only by the systems that measure metrics. */
type Prometheus = typeof import('celeriac/prometheus');

@Module({})
class BenchWorkerModule {
  static forRoot(config: WorkerChildConfig, prometheus: Prometheus | null): DynamicModule {
    return {
      module: BenchWorkerModule,
      imports: [
        TaskQueueModule.forRoot({
          broker: config.brokerUrl,
          resultBackend: config.backendUrl ?? false,
          defaultQueue: config.queue,
          worker: {
            enabled: false,
            queues: [config.queue],
            concurrency: config.concurrency,
            banner: false,
          },
          events: { taskEvents: config.taskEvents },
          tracing: config.tracing === true,
        }),
        // What Prometheus does to a worker: scrape its registry (see the child below).
        ...(prometheus ? [prometheus.TaskQueueMetricsModule.forRoot({ path: false })] : []),
      ],
      // `add`: the tasks of apps/interop, as its worker serves Python callers.
      providers: [config.workload === 'add' ? InteropTasks : BenchTasks],
    };
  }
}

/** Celeriac worker child: one Nest application context, consuming after `start`. */
void runWorkerChild(async (config, completed) => {
  // Loaded only when measured: the other systems' RSS must not carry an SDK they do not use.
  const tracing = config.tracing
    ? (await import('./bench-tracing.js')).installBenchTracing()
    : undefined;
  const prometheus = config.metrics ? await import('celeriac/prometheus') : null;
  const app = await NestFactory.createApplicationContext(
    BenchWorkerModule.forRoot(config, prometheus),
    { logger: ['error', 'warn'] },
  );
  // 'task-succeeded' is emitted after the result backend acknowledged the write.
  app
    .get(TaskEvents)
    .on('task-succeeded')
    .subscribe((event) => completed(event.taskId));
  const worker = app.get(WorkerService);
  // A 1 s scrape interval (queue gauges: one broker round trip each).
  const scrapes = prometheus
    ? setInterval(
        () =>
          void app
            .get(prometheus.TaskQueueMetrics)
            .metrics()
            .catch(() => undefined),
        1_000,
      )
    : undefined;
  return {
    start: async () => {
      // Celery events (worker-online, heartbeats, task events if on) follow the late start.
      await worker.start([config.queue]);
    },
    stop: async () => {
      clearInterval(scrapes);
      await app.close();
      await tracing?.shutdown();
    },
  };
});
