import { Logger } from '@nestjs/common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ResolvedTaskQueueOptions } from '../../config/resolved-options.js';
import type { TaskQueueHealth } from '../health/task-queue-health.service.js';
import type { MetricsExposition } from './metrics-exposition.js';
import { WorkerHttpServer } from './worker-http.server.js';

const config = {
  worker: { http: { port: 0, host: '127.0.0.1' } },
} as unknown as ResolvedTaskQueueOptions;
const health = {} as TaskQueueHealth;
const servers: WorkerHttpServer[] = [];

async function start(exposition: MetricsExposition | null): Promise<{ base: string; log: string }> {
  const log = vi.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  const server = new WorkerHttpServer(config, health, exposition);
  servers.push(server);
  await server.onModuleInit();
  const line = String(log.mock.calls.at(-1)?.[0]);
  log.mockRestore();
  return { base: `http://127.0.0.1:${server.address!.port}`, log: line };
}

afterEach(async () => {
  for (const server of servers.splice(0)) await server.onApplicationShutdown();
});

describe('WorkerHttpServer /metrics', () => {
  it('without TaskQueueMetricsModule, says so in the start log and in the 404', async () => {
    const { base, log } = await start(null);
    expect(log).toContain('/health/live, /health/ready');
    expect(log).toContain("/metrics needs TaskQueueMetricsModule from 'celeriac/prometheus'");
    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(404);
    expect(await response.text()).toContain(
      "import TaskQueueMetricsModule from 'celeriac/prometheus'",
    );
  });

  it('with it, serves the exposition and lists /metrics', async () => {
    const { base, log } = await start({ contentType: 'text/plain', metrics: async () => 'm 1\n' });
    expect(log).toContain('(/health/live, /health/ready, /metrics)');
    expect(await (await fetch(`${base}/metrics`)).text()).toBe('m 1\n');
  });
});
