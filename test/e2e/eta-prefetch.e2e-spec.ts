import { Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { Task, TaskClient, type Broker } from 'celeriac';
import { AmqpBroker } from 'celeriac/amqp';
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../libs/task-queue/src/__fixtures__/create-app.js';
import { createTestVhost, type AmqpTestVhost } from '../support/amqp-vhost.js';
import { deleteKeys, REDIS_URL } from '../support/redis-test-server.js';

/**
 * Tasks whose ETA is due within 2 s are held by the worker, outside its prefetch window
 * (Celery raises the prefetch count for every ETA task it holds): the messages behind them
 * are still fetched and run, and held tasks run in ETA order, on time.
 */
@Injectable()
class EtaTasks {
  readonly starts = new Map<string, number>();

  @Task('eta.mark', { ignoreResult: true })
  mark(key: string): void {
    this.starts.set(key, Date.now());
  }
}

@Module({ providers: [EtaTasks] })
class EtaModule {}

let vhost: AmqpTestVhost | undefined;
const transports: Array<[string, (queue: string) => string | Broker]> = [
  ['redis', () => REDIS_URL],
  ['amqp', () => vhost!.url],
  // Quorum queues have no channel-wide QoS: extra consumers make room for held ones.
  [
    'amqp (quorum queue)',
    (q) => new AmqpBroker(vhost!.url, { queues: { [q]: { type: 'quorum' } } }),
  ],
];

beforeAll(async () => {
  vhost = await createTestVhost('celeriac-eta');
});
afterAll(async () => {
  await vhost?.dispose();
});

describe.each(transports)('ETA tasks held outside the prefetch window on %s', (_name, broker) => {
  let app: INestApplicationContext | undefined;
  let queue: string;

  const start = async (): Promise<{ client: TaskClient; tasks: EtaTasks }> => {
    queue = `eta-${randomUUID()}`;
    // A window of 2 messages: without the fix, two held ETA tasks block everything behind them.
    app = await createApp(
      { broker: broker(queue), defaultQueue: queue, worker: { concurrency: 2, prefetch: 1 } },
      [EtaModule],
    );
    return { client: app.get(TaskClient), tasks: app.get(EtaTasks) };
  };

  afterEach(async () => {
    await app?.close();
    app = undefined;
    await deleteKeys(REDIS_URL, queue, `_kombu.binding.${queue}`);
  });

  it('runs a plain task sent after 200 near-ETA tasks at once, and the ETA tasks on time', async () => {
    const { client, tasks } = await start();
    const eta = new Date(Date.now() + 1_900);
    await Promise.all(
      Array.from({ length: 200 }, (_, i) => client.send('eta.mark', [`eta-${i}`], {}, { eta })),
    );
    await client.send('eta.mark', ['plain']);
    await expect.poll(() => tasks.starts.get('plain'), { timeout: 10_000 }).toBeDefined();
    // Well before the ETAs (the old worker ran it after them: 1.7-1.9 s later).
    expect(tasks.starts.get('plain')!).toBeLessThan(eta.getTime() - 700);
    await expect.poll(() => tasks.starts.size, { timeout: 20_000 }).toBe(201);
    const etaStarts = [...tasks.starts].filter(([k]) => k !== 'plain').map(([, at]) => at);
    expect(Math.min(...etaStarts)).toBeGreaterThanOrEqual(eta.getTime());
    expect(Math.min(...etaStarts) - eta.getTime()).toBeLessThan(150);
  });

  it('runs an earlier-ETA task sent later first, each on time', async () => {
    const { client, tasks } = await start();
    const now = Date.now();
    const late = new Date(now + 1_800);
    const early = new Date(now + 900);
    // Two late ones fill the window (concurrency 2 × prefetch 1) before the early one is sent.
    await client.send('eta.mark', ['late-1'], {}, { eta: late });
    await client.send('eta.mark', ['late-2'], {}, { eta: late });
    await client.send('eta.mark', ['early'], {}, { eta: early });
    await expect.poll(() => tasks.starts.size, { timeout: 10_000 }).toBe(3);
    const at = (key: string): number => tasks.starts.get(key)!;
    expect(at('early')).toBeLessThan(at('late-1'));
    expect(at('early')).toBeLessThan(at('late-2'));
    for (const [key, due] of [
      ['early', early],
      ['late-1', late],
      ['late-2', late],
    ] as const) {
      // On time: not before its ETA, and within a margin for a loaded machine (the old
      // worker ran the early one 1.2-1.8 s late).
      expect(at(key) - due.getTime(), key).toBeGreaterThanOrEqual(0);
      expect(at(key) - due.getTime(), key).toBeLessThan(150);
    }
  });
});
