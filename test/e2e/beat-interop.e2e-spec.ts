import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Injectable, type INestApplicationContext } from '@nestjs/common';
import {
  BeatEvents,
  Schedules,
  Task,
  TaskClient,
  TaskContext,
  TaskQueueBeatModule,
  type BeatFiredEvent,
} from 'celeriac';
import { firstValueFrom, filter } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ManagedProcess,
  PYTHON,
  PYTHON_FIXTURES,
  stopAll,
  uniqueName,
} from '../support/interop-processes.js';
import { deleteKeys, REDIS_URL } from '../support/redis-test-server.js';
import { createTaskQueueApp } from '../support/task-queue-app.js';

/**
 * Beat ⇄ Celery 5.2.6 on Redis (issue 19): Celeriac's beat drives a Python worker (which sees
 * the periodic_task_name header), and Python's `celery beat` drives a Celeriac worker.
 */
const prefix = `test:beat:${uniqueName('interop')}:`;
const runs: { args: unknown[]; header: unknown }[] = [];

@Injectable()
class ProbeTasks {
  constructor(private readonly context: TaskContext) {}

  @Task('e2e.beat_probe')
  probe(...args: unknown[]): string {
    runs.push({ args, header: this.context.headers.periodic_task_name });
    return 'ok';
  }
}

const apps: INestApplicationContext[] = [];
const tmp = mkdtempSync(join(tmpdir(), 'celeriac-beat-'));

async function app(queue: string, worker: boolean): Promise<INestApplicationContext> {
  const moduleRef = await createTaskQueueApp(
    {
      broker: REDIS_URL,
      resultBackend: REDIS_URL,
      defaultQueue: queue,
      worker: { enabled: worker, queues: [queue] },
      events: { enabled: false },
    },
    {
      imports: [TaskQueueBeatModule.forRoot({ keyPrefix: prefix, renewMs: 200, leaseMs: 1000 })],
      providers: [ProbeTasks],
    },
  );
  apps.push(moduleRef);
  return moduleRef;
}

function python(args: string[], queue: string, label: string): ManagedProcess {
  const child = spawn(PYTHON, ['-m', 'celery', '-A', 'beat_app', ...args], {
    cwd: PYTHON_FIXTURES,
    env: {
      ...process.env,
      PYTHONPATH: PYTHON_FIXTURES,
      PYTHONUNBUFFERED: '1',
      INTEROP_BROKER: REDIS_URL,
      INTEROP_BACKEND: REDIS_URL,
      BEAT_QUEUE: queue,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new ManagedProcess(label, child);
}

afterAll(async () => {
  for (const a of apps.splice(0)) await a.close();
  await stopAll();
  await deleteKeys(REDIS_URL, prefix);
  rmSync(tmp, { recursive: true, force: true });
});

describe('beat interop with Celery 5.2.6', () => {
  it('Celeriac beat drives a Python worker, which sees periodic_task_name', async () => {
    const queue = uniqueName('beat-py');
    const worker = python(
      [
        'worker',
        '-Q',
        queue,
        '-c',
        '1',
        '-n',
        `${queue}@%h`,
        '--without-mingle',
        '--without-gossip',
        '--without-heartbeat',
        '-l',
        'INFO',
      ],
      queue,
      'python worker',
    );
    await worker.waitFor(/ready\./);
    const beat = await app(queue, false);
    const fired = firstValueFrom(
      beat
        .get(BeatEvents)
        .on('fired')
        .pipe(filter((e: BeatFiredEvent) => e.name === `${prefix}py`)),
    );
    await beat.get(Schedules).add(
      `${prefix}py`,
      'interop_py.periodic_probe',
      { every: 1 },
      {
        args: ['from-node-beat'],
        queue,
      },
    );
    const event = await fired;
    const result = await beat.get(TaskClient).result(event.taskId).get({ timeout: 15_000 });
    expect(result).toEqual({ tag: 'from-node-beat', periodic_task_name: `${prefix}py` });
    await beat.get(Schedules).remove(`${prefix}py`);
  });

  it('Python celery beat drives a Celeriac worker', async () => {
    const queue = uniqueName('beat-node');
    await app(queue, true);
    const beat = python(
      ['beat', '-s', join(tmp, 'schedule'), '--max-interval', '1', '-l', 'INFO'],
      queue,
      'python beat',
    );
    const end = Date.now() + 20_000;
    while (runs.length < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    await beat.stop();
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(runs[0]!.args).toEqual(['from-python-beat']);
  });
});
