import 'reflect-metadata';
import { type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { BeatEvents, BeatService, Schedules, TaskQueueBeatModule, TaskQueueModule } from 'celeriac';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { median, quantile } from './load.js';

/**
 * `npm run bench -- --beat [--schedules N] [--seconds S] [--rounds R]`: beat lateness (publish
 * done − due instant, from `BeatEvents` 'fired') with N `{ every: 10 }` schedules on the local
 * Redis (store and broker), so N/10 fire each second. Two layouts, alternating for R rounds:
 *   spread  the N/10 fires of a second are 1 ms apart (startAt offsets)
 *   burst   the N/10 fires of a second share one instant (cron-like: all at :00.000)
 * The first 3 s of each run are warm-up and not counted.
 */
type Layout = 'spread' | 'burst';

interface Run {
  layout: Layout;
  fires: number;
  p50: number;
  p99: number;
  max: number;
}

function flag(argv: string[], name: string, fallback: number): number {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
}

async function once(
  redisUrl: string,
  layout: Layout,
  count: number,
  seconds: number,
): Promise<Run> {
  const prefix = `bench:beat:${randomUUID().slice(0, 8)}:`;
  const queue = `bench-beat-${randomUUID().slice(0, 8)}`;
  @Module({
    imports: [
      TaskQueueModule.forRoot({
        broker: redisUrl,
        resultBackend: false,
        defaultQueue: queue,
        worker: { enabled: false, banner: false },
        events: { enabled: false },
      }),
      TaskQueueBeatModule.forRoot({ keyPrefix: prefix, syncDecorators: false }),
    ],
  })
  class BeatBenchModule {}
  const app: INestApplicationContext = await NestFactory.createApplicationContext(BeatBenchModule, {
    logger: ['error'],
  });
  const redis = new Redis(redisUrl);
  try {
    await app.init();
    const schedules = app.get(Schedules);
    const base = Math.ceil(Date.now() / 10_000) * 10_000 + 10_000;
    for (let i = 0; i < count; i += 500) {
      await Promise.all(
        Array.from({ length: Math.min(500, count - i) }, (_, k) => {
          const n = i + k;
          const offset = (n % 10) * 1000 + (layout === 'spread' ? Math.floor(n / 10) % 1000 : 0);
          return schedules.add(
            `s${n}`,
            'bench.beat_noop',
            { every: 10 },
            {
              startAt: new Date(base + offset),
            },
          );
        }),
      );
    }
    const beat = app.get(BeatService);
    while (!beat.isLeader) await new Promise((r) => setTimeout(r, 50));
    const lateness: number[] = [];
    const countFrom = Math.max(Date.now(), base) + 3000;
    const subscription = app
      .get(BeatEvents)
      .on('fired')
      .subscribe((event) => {
        if (event.scheduledAt >= countFrom) lateness.push(event.lateness);
      });
    await new Promise((r) => setTimeout(r, countFrom + seconds * 1000 - Date.now()));
    subscription.unsubscribe();
    return {
      layout,
      fires: lateness.length,
      p50: quantile(lateness, 0.5),
      p99: quantile(lateness, 0.99),
      max: Math.max(...lateness),
    };
  } finally {
    await app.close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.del(queue);
    redis.disconnect();
  }
}

export async function runBeatBench(argv: string[], redisUrl: string): Promise<void> {
  const count = flag(argv, 'schedules', 10_000);
  const seconds = flag(argv, 'seconds', 20);
  const rounds = flag(argv, 'rounds', 2);
  console.log(
    `Beat lateness: ${count} schedules every 10 s (${count / 10} fires/s), ${seconds} s counted ` +
      `per run, ${rounds} round(s) alternating spread / burst; Redis store and broker ${redisUrl}`,
  );
  const runs: Run[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const layout of ['spread', 'burst'] as const) {
      const run = await once(redisUrl, layout, count, seconds);
      runs.push(run);
      console.log(
        `  #${round} ${layout}: ${run.fires} fires, lateness p50 ${run.p50.toFixed(1)} ms, ` +
          `p99 ${run.p99.toFixed(1)} ms, max ${run.max.toFixed(1)} ms`,
      );
    }
  }
  for (const layout of ['spread', 'burst'] as const) {
    const mine = runs.filter((r) => r.layout === layout);
    console.log(
      `Beat ${layout}: median of ${mine.length} run(s): p50 ${median(mine.map((r) => r.p50)).toFixed(1)} ms, ` +
        `p99 ${median(mine.map((r) => r.p99)).toFixed(1)} ms (goal p50 < 2 ms, p99 < 20 ms)`,
    );
  }
}
