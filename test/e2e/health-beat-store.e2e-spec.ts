import type { INestApplicationContext } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthCheckService } from '@nestjs/terminus';
import { BeatService, TaskQueueBeatModule, TaskQueueHealth } from 'celeriac';
import { TaskQueueHealthIndicator, TaskQueueTerminusModule } from 'celeriac/terminus';
import { uniqueName } from '../support/interop-processes.js';
import { deleteKeys, PrivateRedisServer, REDIS_URL } from '../support/redis-test-server.js';
import { createTaskQueueApp } from '../support/task-queue-app.js';

/**
 * A beat whose schedule store is not the broker (`--store`, `CELERIAC_BEAT_STORE`): when the
 * store goes away the beat can neither lead nor take over, so readiness goes down with it,
 * although the broker answers. A rollout then keeps the old beat pod (deploy/k8s beat:
 * maxUnavailable 0) instead of replacing it by one that cannot fire anything.
 */
describe('readiness of a beat whose store is down', () => {
  const prefix = `test:beat:${uniqueName('health')}:`;
  let store: PrivateRedisServer;
  let beat: INestApplicationContext;
  let standbyOff: INestApplicationContext;

  const boot = async (enabled: boolean) => {
    return createTaskQueueApp(
      {
        broker: REDIS_URL,
        resultBackend: false,
        worker: { enabled: false },
        events: { enabled: false },
      },
      {
        imports: [
          TaskQueueBeatModule.forRoot({
            enabled,
            store: store.url,
            keyPrefix: prefix,
            renewMs: 200,
            leaseMs: 1000,
          }),
          TaskQueueTerminusModule.forRoot({ path: false }),
        ],
      },
    );
  };

  beforeAll(async () => {
    store = await PrivateRedisServer.start();
    beat = await boot(true);
    standbyOff = await boot(false);
  }, 120_000);

  afterAll(async () => {
    await standbyOff?.close();
    await beat?.close();
    await store?.destroy();
    await deleteKeys(REDIS_URL, prefix);
  });

  it('is not ready while the store does not answer, and ready again once it does', async () => {
    const health = beat.get(TaskQueueHealth);
    await expect.poll(() => beat.get(BeatService).isLeader, { timeout: 10_000 }).toBe(true);
    const up = await health.ready();
    expect(up.up).toBe(true);
    expect(up.checks.beat).toEqual({ up: true, details: { leader: true } });
    // A process whose beat is off (an API pod) has no beat check.
    expect((await standbyOff.get(TaskQueueHealth).ready()).checks.beat).toBeUndefined();

    await store.kill();
    await expect.poll(async () => (await health.ready()).up, { timeout: 10_000 }).toBe(false);
    const down = await health.ready();
    expect(down.checks.broker!.up).toBe(true);
    expect(down.checks.beat!.up).toBe(false);
    expect(String(down.checks.beat!.details.message)).toMatch(
      /schedule store has not answered this beat for \d+ ms \(lease 1000 ms\)/,
    );

    // The Terminus preset has the same check.
    const terminus = beat.get(HealthCheckService);
    const preset = beat.get(TaskQueueHealthIndicator).ready();
    await expect(terminus.check(preset)).rejects.toMatchObject({
      response: { status: 'error', error: { beat: { status: 'down', leader: false } } },
    });

    await store.restart();
    await expect.poll(async () => (await health.ready()).up, { timeout: 15_000 }).toBe(true);
  }, 60_000);
});
