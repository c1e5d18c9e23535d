import { describe, expect, it } from 'vitest';
import { resolveBeatOptions } from '../beat/beat-options.js';
import { ConfigurationError } from '../errors/configuration.error.js';
import { TaskQueueMetricsModule } from '../observability/metrics/task-queue-metrics.module.js';
import { TaskQueueTerminusModule } from '../observability/terminus/task-queue-terminus.module.js';
import { validateTaskOptions } from './task-options.validator.js';
import { resolveTaskQueueOptions } from './task-queue-options.validator.js';

const dataSource = { transaction: () => undefined };

describe('options with a misspelt or unknown key fail with the key and the closest known one', () => {
  it.each([
    [{ events: { taskEvent: true } }, 'events.taskEvent', 'taskEvents'],
    [{ taskDefaults: { maxRetry: 3 } }, 'taskDefaults.maxRetry', 'maxRetries'],
    [{ routes: { 'a.*': { queu: 'x' } } }, "routes['a.*'].queu", 'queue'],
    [{ tracing: { consumerParnt: 'link' } }, 'tracing.consumerParnt', 'consumerParent'],
    [{ worker: { http: { prot: 9464 } } }, 'worker.http.prot', 'port'],
    [{ worker: { concurency: 2 } }, 'worker.concurency', 'concurrency'],
    [{ typeorm: { dataSource, dispach: 'outbox' } }, 'typeorm.dispach', 'dispatch'],
    [{ typeorm: { dispach: 'outbox' } }, 'typeorm.dispach', 'dispatch'],
    [{ typeorm: { dataSource, outbox: { graceMS: 1 } } }, 'typeorm.outbox.graceMS', 'graceMs'],
    [{ typeorm: { dataSource, relay: { batchsize: 5 } } }, 'typeorm.relay.batchsize', 'batchSize'],
    [{ typeorm: { dataSource, results: { pollMs: 5 } } }, 'typeorm.results.pollMs', undefined],
  ])('forRoot(%j) names %s', (options, key, guess) => {
    const attempt = () => resolveTaskQueueOptions(options as never);
    expect(attempt).toThrow(ConfigurationError);
    expect(attempt).toThrow(`TaskQueueModule: unknown option "${key}"`);
    if (guess) expect(attempt).toThrow(`(did you mean "${guess}"?)`);
  });

  it.each([
    [{ queues: ['a'] }, 'queues', 'worker.queues'],
    [{ concurrency: 4 }, 'concurrency', 'worker.concurrency'],
    [{ taskEvents: true }, 'taskEvents', 'events.taskEvents'],
    [{ worker: { taskEvents: true } }, 'worker.taskEvents', 'events.taskEvents'],
    [{ worker: { defaultQueue: 'a' } }, 'worker.defaultQueue', 'defaultQueue'],
    [{ dispatch: 'outbox' }, 'dispatch', 'typeorm.dispatch'],
  ])(
    'forRoot(%j): the key %s of another section names where it belongs, %s',
    (options, key, at) => {
      const attempt = () => resolveTaskQueueOptions(options as never);
      expect(attempt).toThrow(`TaskQueueModule: unknown option "${key}" (it belongs at "${at}")`);
    },
  );

  it('names the task of a misspelt @Task option and lists the known ones', () => {
    const attempt = () => validateTaskOptions({ retryBackof: true } as never, "@Task('a.b')");
    expect(attempt).toThrow(
      `unknown option "@Task('a.b').retryBackof" (did you mean "retryBackoff"?); @Task('a.b') takes params, schema, queue,`,
    );
  });

  it('applies to TaskQueueBeatModule, TaskQueueMetricsModule and TaskQueueTerminusModule', () => {
    expect(() => resolveBeatOptions({ stor: 'memory://' } as never)).toThrow(
      'TaskQueueBeatModule: unknown option "stor" (did you mean "store"?)',
    );
    expect(() => TaskQueueMetricsModule.forRoot({ pth: false } as never)).toThrow(
      'TaskQueueMetricsModule: unknown option "pth" (did you mean "path"?)',
    );
    expect(() => TaskQueueTerminusModule.forRoot({ paths: false } as never)).toThrow(
      'TaskQueueTerminusModule: unknown option "paths" (did you mean "path"?)',
    );
  });

  it('accepts every documented key', () => {
    expect(() =>
      resolveTaskQueueOptions({
        events: { enabled: true, heartbeatInterval: 2, taskEvents: true },
        routes: { 'a.*': { queue: 'a', priority: 1 } },
        tracing: { consumerParent: 'link' },
        worker: { http: { port: 0, host: '127.0.0.1' } },
        taskDefaults: { maxRetries: 1, retryBackoff: true, dedupe: true, acksLate: true },
        typeorm: {
          dataSource: dataSource as never,
          dispatch: 'outbox',
          strict: true,
          outbox: { graceMs: 1, leaseMs: 1, notify: false },
          relay: { pollIntervalMs: 10, batchSize: 1, leaseMs: 1, listen: true, owner: 'x' },
          results: { cleanupIntervalMs: 0, pollIntervalMs: 10 },
        },
      }),
    ).not.toThrow();
  });
});
