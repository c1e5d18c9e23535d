import { Module, type INestApplicationContext } from '@nestjs/common';
import { TaskClient, TaskEvents } from 'celeriac';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { filter, firstValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../libs/task-queue/src/__fixtures__/create-app.js';
import { PoolTasks } from '../../apps/pools/src/pool.tasks.js';
import { celeryCli, eventually } from '../support/control-python.js';
import { ensureBuilt } from '../support/interop-build.js';
import { poolAppOptions } from '../support/pool-app.js';
import { REDIS_URL } from '../support/redis-test-server.js';

/**
 * `celery control terminate <signal> <id>` (`revoke(terminate=True, signal=...)`) against a Node worker whose task runs in a
 * child-process isolate. Celery sends the signal to the pool child: SIGUSR1 becomes
 * SoftTimeLimitExceeded inside the task (the child lives on), SIGTERM / SIGKILL end the child.
 */
const NODE = `revoke-signal-${randomUUID()}@${hostname()}`;
/** PoolTasks in the main app: the worker learns the tasks' pools from their decorators. */
@Module({ providers: [PoolTasks] })
class MainTasks {}

let app: INestApplicationContext;

beforeAll(async () => {
  await ensureBuilt();
  const { options } = poolAppOptions({ concurrency: 1, hostname: NODE }, { size: 1 });
  app = await createApp(options, [MainTasks]);
}, 120_000);

afterAll(async () => {
  await app?.close();
});

async function started(name: string): Promise<string> {
  const seen = firstValueFrom(
    app
      .get(TaskEvents)
      .on('task-started')
      .pipe(filter((e) => e.name === name)),
  );
  const result = await app.get(TaskClient).send(name, []);
  await seen;
  return result.id;
}

async function childPid(): Promise<number> {
  const result = await app.get(TaskClient).send<{ pid: number }>('pools.whoami_process', []);
  return (await result.get({ timeout: 20_000 })).pid;
}

describe('revoke --terminate --signal on a processes-pool task', () => {
  it('SIGUSR1 aborts the task in its child, which lives on (REVOKED stored)', async () => {
    const before = await childPid();
    const id = await started('pools.wait_abort_process');
    const out = await celeryCli(REDIS_URL, 'control', 'terminate', 'SIGUSR1', id, '-d', NODE);
    expect(out).toContain(`terminate: ${id}`);
    const result = app.get(TaskClient).result(id);
    await eventually(async () => (await result.state()) === 'REVOKED', 10_000, 'REVOKED');
    expect(await childPid()).toBe(before);
  });

  it('the default signal (SIGTERM) stops the child: another one serves the next task', async () => {
    const before = await childPid();
    const id = await started('pools.wait_abort_process');
    const out = await celeryCli(REDIS_URL, 'control', 'terminate', 'SIGTERM', id, '-d', NODE);
    expect(out).toContain(`terminate: ${id}`);
    expect(await childPid()).not.toBe(before);
  });

  it('an unknown signal is refused with an error, as Celery refuses it', async () => {
    const out = await celeryCli(
      REDIS_URL,
      'control',
      'terminate',
      'SIGNOPE',
      randomUUID(),
      '-d',
      NODE,
    );
    expect(out).toMatch(/unknown signal SIGNOPE/);
  });
});
