import type { INestApplicationContext } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { TaskQueueMetricsModule } from 'celeriac/prometheus';
import { deleteKeys, REDIS_URL } from '../support/redis-test-server.js';
import { createTaskQueueApp } from '../support/task-queue-app.js';

/**
 * Two apps of one process given the same prom-client registry: the second says what is wrong
 * and what to do (it failed with prom-client's "A metric with the name ... has already been
 * registered"), and an app closed gives its metric names back, so an app made again in the
 * same process (tests, a restart in place) boots on the same registry.
 */
describe('TaskQueueMetricsModule on a registry shared by two apps', () => {
  const queues: string[] = [];
  const apps: INestApplicationContext[] = [];

  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
    await deleteKeys(REDIS_URL, ...queues.flatMap((q) => [q, `_kombu.binding.${q}`]));
  });

  function compile(registry: Registry, hostname: string) {
    const queue = `shared-registry-${randomUUID()}`;
    queues.push(queue);
    return createTaskQueueApp(
      {
        broker: REDIS_URL,
        resultBackend: false,
        defaultQueue: queue,
        worker: { queues: [queue], hostname },
      },
      { imports: [TaskQueueMetricsModule.forRoot({ path: false, registry })], init: false },
    );
  }

  it('refuses the second with advice, and frees the names when the first closes', async () => {
    const registry = new Registry();
    const first = await (await compile(registry, 'first@h')).init();
    apps.push(first);
    await expect((await compile(registry, 'second@h')).init()).rejects.toThrow(
      /already holds Celeriac's metrics.*own registry/,
    );

    await first.close();
    apps.splice(0);
    expect(registry.getMetricsAsArray()).toEqual([]);
    const again = await (await compile(registry, 'again@h')).init();
    apps.push(again);
    expect(await registry.metrics()).toContain('celeriac_worker_consuming{hostname="again@h"} 1');
  });
});
