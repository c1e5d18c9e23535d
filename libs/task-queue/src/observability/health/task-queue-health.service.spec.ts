import { HealthIndicatorService } from '@nestjs/terminus';
import { describe, expect, it } from 'vitest';
import type { ResolvedTaskQueueOptions } from '../../config/resolved-options.js';
import type { Broker } from '../../contracts/broker.interface.js';
import type { ResultBackend } from '../../contracts/result-backend.interface.js';
import type { WorkerService } from '../../worker/worker.service.js';
import { probeResponse } from '../http/probe-response.js';
import { TaskQueueHealthIndicator } from '../terminus/task-queue.health-indicator.js';
import { TaskQueueHealth } from './task-queue-health.service.js';

function health(): TaskQueueHealth {
  const config = { worker: { enabled: true } } as ResolvedTaskQueueOptions;
  const broker = { transport: 'redis', ping: () => Promise.resolve() } as unknown as Broker;
  const worker = {
    running: true,
    busySlots: 0,
    concurrency: 4,
    shuttingDown: false,
  } as unknown as WorkerService;
  const backend = { kind: 'redis', ping: () => Promise.resolve() } as unknown as ResultBackend;
  return new TaskQueueHealth(config, broker, worker, backend);
}

describe('readiness check names', () => {
  it('are the same on the worker HTTP server and on the Terminus endpoint', async () => {
    const checks = health();
    try {
      const served = probeResponse(await checks.ready()).body;
      const indicator = new TaskQueueHealthIndicator(checks, new HealthIndicatorService());
      const terminus = Object.assign(
        {},
        ...(await Promise.all(indicator.ready().map((check) => (check as () => unknown)()))),
      ) as Record<string, unknown>;
      expect(Object.keys(served.details).sort()).toEqual(Object.keys(terminus).sort());
      expect(served.info.resultBackend).toEqual({ status: 'up', transport: 'redis' });
    } finally {
      checks.onModuleDestroy();
    }
  });
});
