import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import type { PublishOptions, TaskMessage } from 'celeriac';
import { OutboxRelay } from '../../libs/task-queue/src/transaction/outbox/outbox.relay.js';
import { asBroker, RecordingBroker } from '../support/outbox-fixtures.js';
import { commitOutboxRow, openOutboxDataSource } from '../support/outbox-postgres.js';
import { dropSchema, uniqueSchema } from '../support/typeorm-postgres.js';

// The relay's LISTEN connection is lost (PostgreSQL restart, pg_terminate_backend). The relay
// must LISTEN again by itself, pick up the rows committed while it was deaf, and be woken by
// NOTIFY afterwards. And a NOTIFY that arrives while the relay is in a round must not be lost.
// The poll interval is ten minutes: only NOTIFY (or the reconnect itself) can explain a row
// relayed within seconds.

const schema = uniqueSchema('listenloss');
const channel = `outbox_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
let dataSource: DataSource;

beforeAll(async () => {
  dataSource = await openOutboxDataSource(schema);
});
afterAll(async () => {
  await dataSource?.destroy();
  await dropSchema(schema);
});

/** Insert a due row and NOTIFY the channel, in one transaction (as the writer does). */
const commitRow = (): Promise<string> => commitOutboxRow(dataSource, 'listen.loss', channel);

/** Pids of the backends LISTENing on this test's channel. */
async function listenerPids(): Promise<number[]> {
  const rows: { pid: number }[] = await dataSource.query(
    `SELECT pid FROM pg_stat_activity WHERE query ILIKE 'LISTEN%' AND query LIKE $1`,
    [`%${channel}%`],
  );
  return rows.map((r) => r.pid);
}

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('outbox relay: LISTEN connection lost', () => {
  it('LISTENs again, relays the rows committed meanwhile, and is woken by NOTIFY after', async () => {
    const broker = new RecordingBroker();
    const relay = new OutboxRelay(dataSource, asBroker(broker), {
      channel,
      pollIntervalMs: 600_000,
    });
    relay.start();
    try {
      const [firstPid] = await until(async () => {
        const pids = await listenerPids();
        return pids.length > 0 ? pids : undefined;
      }, 15_000);
      // The first round ran before anything was committed; now the relay sleeps 10 minutes.
      const before = await commitRow();
      await until(async () => (broker.published.includes(before) ? true : undefined), 15_000);

      await dataSource.query('SELECT pg_terminate_backend($1)', [firstPid]);
      const meanwhile = await commitRow();
      // The relay reconnects and catches up on what it could not hear.
      await until(async () => (broker.published.includes(meanwhile) ? true : undefined), 20_000);
      await until(async () => {
        const pids = await listenerPids();
        return pids.length > 0 && !pids.includes(firstPid) ? true : undefined;
      }, 20_000);

      const after = await commitRow();
      await until(async () => (broker.published.includes(after) ? true : undefined), 15_000);
    } finally {
      await relay.stop();
    }
  });
});

/** Holds the publish of the tasks named `held` until `release()`. */
class GatedBroker extends RecordingBroker {
  private open!: () => void;
  private readonly gate = new Promise<void>((resolve) => (this.open = resolve));
  private entered!: () => void;
  /** Resolves when a held publish has started (its round claimed it). */
  readonly holding = new Promise<void>((resolve) => (this.entered = resolve));
  constructor(private readonly held: string) {
    super();
  }
  override async publish(message: TaskMessage, options: PublishOptions): Promise<void> {
    if (message.headers.task === this.held) {
      this.entered();
      await this.gate;
    }
    return super.publish(message, options);
  }
  release(): void {
    this.open();
  }
}

describe('outbox relay: wake-ups during a round', () => {
  it('relays a row whose NOTIFY came while a round was publishing, without waiting a poll', async () => {
    const broker = new GatedBroker('wake.held');
    const relay = new OutboxRelay(dataSource, asBroker(broker), {
      channel,
      pollIntervalMs: 600_000,
    });
    relay.start();
    try {
      // Heard once LISTEN is up (by its NOTIFY, or by the round that follows the first LISTEN).
      const warmUp = await commitOutboxRow(dataSource, 'wake.warm-up', channel);
      await until(async () => (broker.published.includes(warmUp) ? true : undefined), 15_000);

      const held = await commitOutboxRow(dataSource, 'wake.held', channel);
      await broker.holding; // a round claimed it and is publishing it now
      const announced = await commitOutboxRow(dataSource, 'wake.announced', channel);
      broker.release();

      await until(async () => (broker.published.includes(announced) ? true : undefined), 15_000);
      expect(broker.published).toEqual([warmUp, held, announced]);
    } finally {
      broker.release();
      await relay.stop();
    }
  });
});
