import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import type { PublishOptions, TaskMessage } from 'celeriac';
import { OutboxRelay } from '../../libs/task-queue/src/transaction/outbox/outbox.relay.js';
import { asBroker, RecordingBroker } from '../support/outbox-fixtures.js';
import { commitOutboxRow, openOutboxDataSource } from '../support/outbox-postgres.js';
import { dropSchema, uniqueSchema } from '../support/typeorm-postgres.js';

// A NOTIFY that arrives while the relay is in a round (publishing what it claimed) must not be
// lost: the row it announces was committed after the round's claim, so only another round
// relays it. The poll interval is ten minutes, so a lost wake-up shows as a row left behind.

const schema = uniqueSchema('relaywake');
const channel = `outbox_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
let dataSource: DataSource;

beforeAll(async () => {
  dataSource = await openOutboxDataSource(schema);
});
afterAll(async () => {
  await dataSource?.destroy();
  await dropSchema(schema);
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

async function until(probe: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
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
      await until(() => broker.published.includes(warmUp), 15_000);

      const held = await commitOutboxRow(dataSource, 'wake.held', channel);
      await broker.holding; // a round claimed it and is publishing it now
      const announced = await commitOutboxRow(dataSource, 'wake.announced', channel);
      broker.release();

      await until(() => broker.published.includes(announced), 15_000);
      expect(broker.published).toEqual([warmUp, held, announced]);
    } finally {
      broker.release();
      await relay.stop();
    }
  });
});
