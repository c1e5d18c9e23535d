import { Injectable, type INestApplicationContext } from '@nestjs/common';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerConnectionError, Task, TaskClient, type TaskRecord } from 'celeriac';
import { checkRedisReachable } from '../../libs/task-queue/src/cli/redis-preflight.js';
import { CliError } from '../../libs/task-queue/src/cli/cli-error.js';
import { RedisDashboardHistory } from '../../libs/dashboard/src/dashboard-history.js';
import { RedisBroker, RedisResultBackend } from 'celeriac/redis';
import { join } from 'node:path';
import { PYTHON, PYTHON_FIXTURES, runProcess, uniqueName } from '../support/interop-processes.js';
import { freePort } from '../support/redis-test-server.js';
import { MASTER_NAME, SentinelGroup } from '../support/redis-sentinel-group.js';
import { createTaskQueueApp } from '../support/task-queue-app.js';

const ADD = 'sentinel.add';

@Injectable()
class SentinelTasks {
  @Task({ name: ADD })
  add(a: number, b: number): number {
    return a + b;
  }
}

/**
 * Celery's Sentinel URLs (`sentinel://h1:26379/0;sentinel://h2:26379/0` with the master name as
 * a transport option) for the broker and the result backend, against a private master, replica
 * and two sentinels: tasks run before and after the master is SIGKILLed and the sentinels
 * promote the replica.
 */
describe('Redis Sentinel', () => {
  let group: SentinelGroup;
  let app: INestApplicationContext | undefined;

  beforeAll(async () => {
    group = await SentinelGroup.start({ sentinels: 2 });
  }, 90_000);
  afterAll(async () => {
    await app?.close();
    await group?.destroy();
  });

  const queue = uniqueName('sentinel');

  it('runs tasks and stores results through the sentinels, before and after a failover', async () => {
    const url = group.sentinelUrl();
    app = await createTaskQueueApp(
      {
        broker: url,
        resultBackend: url,
        defaultQueue: queue,
        worker: { queues: [queue] },
      },
      { providers: [SentinelTasks] },
    );
    const client = app.get(TaskClient);

    const before = await client.send(ADD, [1, 2]);
    await expect(before.get({ timeout: 15_000 })).resolves.toBe(3);
    expect(await group.currentMasterPort()).toBe(group.masterPort);

    await group.failover();
    expect(await group.currentMasterPort()).toBe(group.replicaPort);

    const after = await Promise.all([1, 2, 3].map((n) => client.send(ADD, [n, 10])));
    for (const [i, result] of after.entries()) {
      await expect(result.get({ timeout: 30_000 })).resolves.toBe(i + 11);
    }
    // Stored on the promoted replica, the only Redis left.
    const promoted = new Redis(group.replicaPort, '127.0.0.1', { lazyConnect: true });
    try {
      expect(await promoted.exists(`celery-task-meta-${after[0]!.id}`)).toBe(1);
    } finally {
      promoted.disconnect();
    }
  }, 90_000);

  // Right after the failover a sentinel may still answer that it knows no master (redis-py's
  // MasterNotFoundError) until the sentinels agree on the promoted replica: one more try then.
  it(
    'a Python Celery producer with the same Sentinel URL reaches the Celeriac worker',
    { retry: 2, timeout: 60_000 },
    async () => {
      const spec = {
        url: group.sentinelUrl(''),
        master_name: MASTER_NAME,
        task: ADD,
        args: [20, 22],
        queue,
      };
      const run = await runProcess(
        PYTHON,
        [join(PYTHON_FIXTURES, 'sentinel_client.py'), JSON.stringify(spec)],
        { cwd: PYTHON_FIXTURES },
      );
      expect(run.stderr).not.toMatch(/Traceback/);
      const reply = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as {
        state: string;
        result: number;
      };
      expect(reply).toMatchObject({ state: 'SUCCESS', result: 42 });
    },
  );
});

describe('Redis Sentinel set-ups that can never work', () => {
  let group: SentinelGroup;
  beforeAll(async () => {
    group = await SentinelGroup.start();
  }, 90_000);
  afterAll(async () => {
    await group?.destroy();
  });
  const TEN_MINUTES = 600_000;

  it('a master name no sentinel knows fails boot at once, naming the URL and the fix', async () => {
    const url = group.sentinelUrl('master_name=nosuchmaster');
    const broker = new RedisBroker(url, { publishTimeout: TEN_MINUTES });
    const backend = new RedisResultBackend(url, { timeout: TEN_MINUTES });
    try {
      const error = await broker.connect().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BrokerConnectionError);
      const message = (error as Error).message;
      expect(message).toContain(`Could not connect to Redis at ${url}`);
      expect(message).toContain('knows no master named "nosuchmaster"');
      expect(message).toContain('sentinel monitor <name>');
      expect(message).not.toContain('within');
      await expect(backend.connect()).rejects.toThrow(/knows no master named "nosuchmaster"/);
    } finally {
      await broker.close();
      await backend.close();
    }
  });

  it('the masterName option picks the master of a URL without ?master_name=', async () => {
    const broker = new RedisBroker(group.sentinelUrl(''), { masterName: MASTER_NAME });
    try {
      await broker.connect();
    } finally {
      await broker.close();
    }
  });

  it("the dashboard's history follows a Sentinel URL to the master", async () => {
    const key = `celeriac:dashboard:history:${uniqueName('sentinel')}`;
    const history = await RedisDashboardHistory.open(group.sentinelUrl(), key, 5);
    try {
      await history.append([{ uuid: 'sentinel-task', name: ADD } as unknown as TaskRecord]);
      expect((await history.load()).map((record) => record.uuid)).toEqual(['sentinel-task']);
    } finally {
      await history.close();
    }
    const master = new Redis(group.masterPort, '127.0.0.1', { lazyConnect: true });
    try {
      expect(await master.llen(key)).toBe(1);
    } finally {
      master.disconnect();
    }
  });

  it("the CLI's quick check goes through the sentinels and names what failed", async () => {
    await checkRedisReachable(group.sentinelUrl());
    const unknown = await checkRedisReachable(group.sentinelUrl('master_name=nosuchmaster')).catch(
      (e: unknown) => e,
    );
    expect(unknown).toBeInstanceOf(CliError);
    expect((unknown as Error).message).toContain('No such master with that name');
    expect((unknown as Error).message).toContain('master_name is the name they monitor');
    const down = `sentinel://127.0.0.1:${await freePort()}/0?master_name=${MASTER_NAME}`;
    await expect(checkRedisReachable(down)).rejects.toThrow(/Check that the sentinels are running/);
  });

  it('no reachable sentinel fails boot after the wait, naming each sentinel tried', async () => {
    // Refused, as a plain redis:// on a closed port is: waited for up to the timeout (the
    // sentinels may be starting), then each sentinel named with what it got.
    const [a, b] = [await freePort(), await freePort()];
    const url =
      `sentinel://:secret@127.0.0.1:${a}/0;sentinel://:secret@127.0.0.1:${b}/0` +
      `?master_name=${MASTER_NAME}`;
    const broker = new RedisBroker(url, { publishTimeout: 500 });
    try {
      const error = await broker.connect().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BrokerConnectionError);
      const message = (error as Error).message;
      expect(message).toContain('Could not connect to Redis at sentinel://:***@127.0.0.1:');
      expect(message).not.toContain('secret');
      expect(message).toContain("no sentinel of the URL gave the master's address");
      expect(message).toContain(
        `(tried 127.0.0.1:${a}: no connection (refused, or closed at once); ` +
          `127.0.0.1:${b}: no connection (refused, or closed at once))`,
      );
      expect(message).toContain('Check that the sentinels are running');
    } finally {
      await broker.close();
    }
  });
});

describe('Redis Sentinel with a password on the sentinels', () => {
  let group: SentinelGroup;
  beforeAll(async () => {
    group = await SentinelGroup.start({ sentinelPassword: 'sentinel-secret' });
  }, 90_000);
  afterAll(async () => {
    await group?.destroy();
  });

  it('without sentinel_password, boot fails at once saying to give it', async () => {
    const broker = new RedisBroker(group.sentinelUrl(), { publishTimeout: 600_000 });
    try {
      const error = await broker.connect().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BrokerConnectionError);
      const message = (error as Error).message;
      expect(message).toContain("refused the connection's credentials (NOAUTH");
      expect(message).toContain('?sentinel_password=');
      expect(message).not.toContain('within');
    } finally {
      await broker.close();
    }
  });

  it('with sentinel_password on the URL (or the option), it connects', async () => {
    const url = group.sentinelUrl(`master_name=${MASTER_NAME}&sentinel_password=sentinel-secret`);
    const viaUrl = new RedisBroker(url);
    const viaOption = new RedisResultBackend(group.sentinelUrl(), {
      sentinelPassword: 'sentinel-secret',
    });
    try {
      await viaUrl.connect();
      await viaOption.connect();
    } finally {
      await viaUrl.close();
      await viaOption.close();
    }
  });
});
