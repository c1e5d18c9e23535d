import { Injectable, Logger, type INestApplicationContext, type Type } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BeatEvents, BeatService, Periodic, Schedules, Task, TaskQueueBeatModule } from 'celeriac';
import { PrivateRedisServer } from '../support/redis-test-server.js';
import { createTaskQueueApp } from '../support/task-queue-app.js';

@Injectable()
class TickTasks {
  @Periodic({ every: 1 }, { name: 'restart.tick' })
  @Task('restart.tick')
  tick(): string {
    return 'tick';
  }
}

/**
 * A Redis without persistence restarted under running apps loses every key, the schedules
 * included. The `@Periodic` schedules of an app that does not lead (an API or worker pod with
 * the beat off, as in deploy/k8s) come back without a restart of the app, and the dedicated
 * beat fires them again.
 */
describe('beat store that lost its data', () => {
  let redis: PrivateRedisServer;
  let coded: INestApplicationContext;
  let beat: INestApplicationContext;
  const fired: number[] = [];

  const boot = async (enabled: boolean, providers: Type[]) => {
    return createTaskQueueApp(
      {
        broker: redis.url,
        resultBackend: false,
        worker: { enabled: false },
        events: { enabled: false },
      },
      {
        imports: [TaskQueueBeatModule.forRoot({ enabled, renewMs: 200, leaseMs: 1000 })],
        providers,
      },
    );
  };

  beforeAll(async () => {
    redis = await PrivateRedisServer.start();
    coded = await boot(false, [TickTasks]);
    beat = await boot(true, []);
    beat
      .get(BeatEvents)
      .on('fired')
      .subscribe(() => fired.push(Date.now()));
  }, 120_000);

  afterAll(async () => {
    await beat?.close();
    await coded?.close();
    await redis?.destroy();
  });

  it('writes the missing @Periodic schedules back once the store is reachable again', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn');
    await expect.poll(() => beat.get(BeatService).isLeader, { timeout: 10_000 }).toBe(true);
    await expect.poll(() => fired.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    await redis.kill();
    await redis.restart();
    const after = Date.now();
    await expect
      .poll(() => fired.filter((at) => at > after).length, { timeout: 15_000 })
      .toBeGreaterThanOrEqual(2);
    expect((await coded.get(Schedules).get('restart.tick'))?.enabled).toBe(true);
    expect(warn.mock.calls.map((call) => String(call[0]))).toContainEqual(
      expect.stringMatching(/wrote back 1 @Periodic schedule\(s\) missing .*\(restart\.tick\)/),
    );
    warn.mockRestore();
  }, 60_000);
});
