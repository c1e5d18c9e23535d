import type { INestApplicationContext } from '@nestjs/common';
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerHttpServer, WorkerService } from 'celeriac';
import { CLI_BIN, ensureBuilt } from '../support/interop-build.js';
import { freePort } from '../support/redis-test-server.js';
import { createTaskQueueApp, LOOPBACK_HTTP } from '../support/task-queue-app.js';

/** Run `celeriac health …`: exit code, stderr and wall time. */
function probe(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stderr: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI_BIN, 'health', ...args],
      { env: { PATH: process.env.PATH, ...env } },
      (error, _stdout, stderr) =>
        resolve({
          code: error ? Number((error as { code?: number }).code ?? 1) : 0,
          stderr,
          ms: performance.now() - started,
        }),
    );
  });
}

/** Wall time of `node -e 0`, the floor of any exec probe written in Node. */
function nodeStart(): Promise<number> {
  const started = performance.now();
  return new Promise((resolve) =>
    execFile(process.execPath, ['-e', '0'], () => resolve(performance.now() - started)),
  );
}

/**
 * `celeriac health`, the exec probe: asks the process's /health/live or /health/ready without
 * booting Nest, and exits 0 (up), 1 (down or unreachable) or 2 (no port).
 */
describe('celeriac health', () => {
  let app: INestApplicationContext;
  let port: string;

  beforeAll(async () => {
    await ensureBuilt();
    app = await createTaskQueueApp({ worker: { http: LOOPBACK_HTTP } });
    port = String(app.get(WorkerHttpServer).address!.port);
  }, 300_000);
  afterAll(async () => {
    await app?.close();
  });

  it('exits 0 while live and ready, with the port from the option or the environment', async () => {
    expect((await probe(['--port', port])).code).toBe(0);
    expect((await probe(['--ready', '--port', port])).code).toBe(0);
    expect((await probe([], { CELERIAC_HTTP_PORT: port })).code).toBe(0);
    expect((await probe([], { CELERIAC_ROLE: 'api', PORT: port })).code).toBe(0);
    // Reported, not asserted (shared machine): the probe against a bare `node -e 0`, alternating.
    const probes: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < 7; i++) {
      probes.push((await probe(['--port', port])).ms);
      bare.push(await nodeStart());
    }
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[3]!.toFixed(0);
    console.log(`celeriac health: median ${median(probes)} ms wall; node -e 0: ${median(bare)} ms`);
  });

  it('exits 1 when not ready or unreachable, 2 without a port', async () => {
    app.get(WorkerService).beginShutdown();
    const down = await probe(['--ready', '--port', port]);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/answered 503/);
    // Liveness is not affected by the shutdown.
    expect((await probe(['--port', port])).code).toBe(0);
    const closed = await freePort();
    expect((await probe(['--port', String(closed)])).code).toBe(1);
    expect((await probe([])).code).toBe(2);
    expect((await probe(['--bogus'])).code).toBe(2);
  });
});
