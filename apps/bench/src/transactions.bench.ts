import 'reflect-metadata';
import {
  type DynamicModule,
  type INestApplicationContext,
  Injectable,
  Module,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Task, TaskClient, TaskQueueModule } from 'celeriac';
import {
  AddTaskOutboxSequence1796601600000,
  AddTaskOutboxTraceContext1780272000000,
  CreateTaskOutbox1767225600000,
  drainOnCommit,
  TaskOutbox,
} from 'celeriac/typeorm';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';

/**
 * `npm run bench -- --transactions [--n N] [--rounds R]`: the cost of tying a publish to a
 * PostgreSQL transaction, on the local Redis. Each mode runs N transactions (16 in flight) that
 * insert a row and send one task, until every task is in the queue:
 *   plain         commit, then `delay()` (the baseline)
 *   after-commit  `delayOnCommit()` inside the transaction, published after COMMIT
 *   outbox        `delayOnCommit()` with `dispatch: 'outbox'` (row in the transaction, fast path)
 * Modes alternate for R rounds; the report gives median times until every task is queued, each
 * mode's ratio to plain, and the time until the outbox's published rows are deleted too.
 */
type Mode = 'plain' | 'after-commit' | 'outbox';
const MODES: readonly Mode[] = ['plain', 'after-commit', 'outbox'];
const IN_FLIGHT = 16;

/** ms from the first transaction until every task is queued, and until the outbox is clean. */
interface Timing {
  published: number;
  drained: number;
}

@Injectable()
class BenchTxTasks {
  @Task('bench.tx')
  run(_id: string): void {}
}

@Module({})
class BenchTxModule {
  static forRoot(dataSource: DataSource, queue: string, mode: Mode): DynamicModule {
    return {
      module: BenchTxModule,
      providers: [BenchTxTasks],
      imports: [
        TaskQueueModule.forRoot({
          broker: 'redis://127.0.0.1:6379/0',
          resultBackend: false,
          defaultQueue: queue,
          worker: { enabled: false, banner: false },
          typeorm: {
            dataSource,
            dispatch: mode === 'outbox' ? 'outbox' : 'after-commit',
            relay: false,
          },
        }),
      ],
    };
  }
}

export async function runTransactionsBench(argv: string[]): Promise<void> {
  const n = Number(option(argv, '--n') ?? 2000);
  const rounds = Number(option(argv, '--rounds') ?? 3);
  const schema = `bench_tx_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const connection = {
    type: 'postgres',
    host: '127.0.0.1',
    port: 5432,
    username: 'postgres',
    database: 'test',
  } as const;
  const admin = await new DataSource(connection).initialize();
  await admin.query(`CREATE SCHEMA "${schema}"`);
  const dataSource = await new DataSource({
    ...connection,
    schema,
    extra: { options: `-c search_path=${schema}`, max: IN_FLIGHT + 4 },
    entities: [TaskOutbox],
    migrations: [
      CreateTaskOutbox1767225600000,
      AddTaskOutboxTraceContext1780272000000,
      AddTaskOutboxSequence1796601600000,
    ],
  }).initialize();
  await dataSource.runMigrations();
  await dataSource.query('CREATE TABLE bench_row (id text PRIMARY KEY)');
  const redis = new Redis('redis://127.0.0.1:6379/0');
  const times = new Map<Mode, Timing[]>(MODES.map((m) => [m, []]));
  console.log(
    `Transactions bench: PostgreSQL + Redis, n=${n}, ${IN_FLIGHT} in flight, ${rounds} rounds`,
  );
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const mode of MODES) {
        const timing = await runMode(dataSource, redis, mode, n);
        times.get(mode)!.push(timing);
        console.log(
          `  round ${round} ${mode.padEnd(12)} published ${timing.published.toFixed(0)} ms, ` +
            `drained ${timing.drained.toFixed(0)} ms`,
        );
      }
    }
  } finally {
    redis.disconnect();
    await dataSource.destroy();
    await admin.query(`DROP SCHEMA "${schema}" CASCADE`);
    await admin.destroy();
  }
  const medianOf = (mode: Mode, key: keyof Timing): number =>
    median(times.get(mode)!.map((t) => t[key]));
  const plain = medianOf('plain', 'published');
  console.log('\nmode          published ms   per tx µs   ratio to plain   drained ms');
  for (const mode of MODES) {
    const ms = medianOf(mode, 'published');
    console.log(
      `${mode.padEnd(13)} ${ms.toFixed(0).padStart(12)}   ${((ms * 1000) / n).toFixed(0).padStart(9)}   ` +
        `${(ms / plain).toFixed(2).padStart(13)}x   ${medianOf(mode, 'drained').toFixed(0).padStart(10)}`,
    );
  }
}

async function runMode(
  dataSource: DataSource,
  redis: Redis,
  mode: Mode,
  n: number,
): Promise<Timing> {
  const queue = `bench-tx-${mode}-${randomUUID()}`;
  const app: INestApplicationContext = await NestFactory.createApplicationContext(
    BenchTxModule.forRoot(dataSource, queue, mode),
    { logger: ['error', 'warn'] },
  );
  await app.init();
  const task = app.get(TaskClient).get(BenchTxTasks, 'run');
  const one = async (): Promise<void> => {
    const id = randomUUID();
    if (mode === 'plain') {
      await dataSource.transaction((m) => m.query('INSERT INTO bench_row (id) VALUES ($1)', [id]));
      await task.delay(id);
      return;
    }
    await dataSource.transaction(async (m) => {
      await m.query('INSERT INTO bench_row (id) VALUES ($1)', [id]);
      await task.delayOnCommit(id);
    });
  };
  try {
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next++ < n) await one();
      }),
    );
    // Published = every task is in the queue (the outbox's row deletes may still be running).
    const deadline = Date.now() + 60_000;
    while ((await redis.llen(queue)) < n) {
      if (Date.now() > deadline) throw new Error(`${mode}: not every task was queued`);
      await new Promise((r) => setTimeout(r, 1));
    }
    const published = performance.now() - t0;
    await drainOnCommit();
    const drained = performance.now() - t0;
    const queued = await redis.llen(queue);
    if (queued !== n) throw new Error(`${mode}: ${queued} tasks queued, expected ${n}`);
    return { published, drained };
  } finally {
    await app.close();
    await redis.del(queue, `_kombu.binding.${queue}`);
    await dataSource.query('TRUNCATE bench_row');
  }
}

function option(argv: string[], name: string): string | undefined {
  const index = argv.indexOf(name);
  return index >= 0 ? argv[index + 1] : undefined;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Entry for running this file directly through a TypeScript runner. */
export const main = runTransactionsBench;
