import { Module, type INestApplicationContext } from '@nestjs/common';
import { BeatService, TaskClient, TaskQueueBeatModule } from 'celeriac';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../libs/task-queue/src/__fixtures__/create-app.js';
import { PoolRoleTasks } from '../../apps/pools/src/pool-worker-like.module.js';
import { ensureBuilt, ROOT } from '../support/interop-build.js';
import { poolAppOptions } from '../support/pool-app.js';

/**
 * docs/pools.md lets `isolates.module` name the worker's own module. Such a module has
 * `worker.http` and a `TaskQueueBeatModule`: inside the isolate neither may start. Before,
 * every isolate listened on the parent's health port (EADDRINUSE killed the worker's boot)
 * and competed for the beat lease.
 */
const WORKER_LIKE = join(ROOT, 'dist/apps/pools/src/pool-worker-like.module.js');

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

let app: INestApplicationContext | undefined;
beforeAll(() => ensureBuilt(), 120_000);
afterAll(async () => app?.close());

describe("an isolate booting the worker's own module", () => {
  it('starts neither the HTTP server nor a beat: the parent serves the probes', async () => {
    const port = await freePort();
    const { options, queue } = poolAppOptions(
      { concurrency: 2, http: { port, host: '127.0.0.1' } },
      { module: WORKER_LIKE, export: 'PoolWorkerLikeModule', size: 1, spare: 0 },
    );
    process.env.POOLS_HTTP_PORT = String(port);
    @Module({
      imports: [TaskQueueBeatModule.forRoot({ store: `memory://${queue}-parent`, enabled: false })],
      providers: [PoolRoleTasks],
    })
    class Main {}
    app = await createApp(options, [Main]);
    expect(app.get(BeatService).isLeader).toBe(false);
    const roles = await (
      await app.get(TaskClient).send<{ pid: number; beatLeader: boolean }>('pools.roles')
    ).get({ timeout: 20_000 });
    expect(roles.pid).not.toBe(process.pid);
    expect(roles.beatLeader).toBe(false);
    const live = await fetch(`http://127.0.0.1:${port}/health/live`);
    expect(live.status).toBe(200);
  }, 60_000);
});
