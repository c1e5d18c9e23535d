import { type Broker } from 'celeriac';
import { createTaskMessage } from 'celeriac/protocol';
import { connect } from 'amqplib';
import { Redis } from 'ioredis';

/**
 * The scrape bench's queues: filled all at once (one confirm wait per queue's messages, the
 * queues side by side, not 600 publishes one after the other) and removed however the run
 * ends: at its end, on an error, or on Ctrl-C / SIGTERM (`onStopSignal`).
 */
export class ScrapeFixture {
  private cleaned?: Promise<void>;
  /** The fill in flight: a publish after the deletes would declare its queue again. */
  private filling: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly prefix: string,
    private readonly queues: readonly string[],
    private readonly redisUrl: string,
    private readonly amqpUrl: string | undefined,
  ) {}

  /** Messages in every priority band, a parked ETA message (Redis) and a dead letter per queue. */
  async fill(broker: Broker): Promise<void> {
    const due = new Date(Date.now() + 3_600_000);
    const noop = (priority?: number) => createTaskMessage({ name: 'bench.noop', priority });
    const publishes = this.queues.flatMap((queue) => [
      ...[0, 3, 6, 9].map((priority) => broker.publish(noop(priority), { queue, priority })),
      // RabbitMQ parks ETA messages in the shared delay ladder, not per queue: none there.
      ...(this.amqpUrl ? [] : [broker.publish(noop(), { queue, notBefore: due })]),
      broker.publish(noop(), { queue: `${queue}.dlq` }),
    ]);
    const settled = Promise.allSettled(publishes);
    this.filling = settled;
    const failed = (await settled).find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /**
   * Call `stop` at the first SIGINT / SIGTERM (the run ends its current scrape, then cleans up
   * in its `finally`); a second signal cleans up at once and exits.
   */
  onStopSignal(stop: () => void): () => void {
    let signalled = false;
    const handler = (signal: NodeJS.Signals) => {
      if (!signalled) {
        signalled = true;
        console.log(`${signal}: stopping after this scrape, then deleting the bench's queues.`);
        stop();
        return;
      }
      console.log(`${signal} again: deleting the bench's queues now.`);
      void this.cleanUp().finally(() => process.exit(130));
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
    return () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    };
  }

  /**
   * Delete every queue, key and parked entry of this run, once the fill in flight has settled;
   * once, however often it is called.
   */
  cleanUp(): Promise<void> {
    this.cleaned ??= this.filling.then(() =>
      Promise.all([this.cleanAmqp(), this.cleanRedis()]).then(() => undefined),
    );
    return this.cleaned;
  }

  /** The run's queues, dead-letter queues and exchanges. Reports what it could not delete. */
  private async cleanAmqp(): Promise<void> {
    if (!this.amqpUrl) return;
    const names = this.queues.flatMap((queue) => [queue, `${queue}.dlq`]);
    try {
      const connection = await connect(this.amqpUrl);
      try {
        // Deleting a queue that does not exist succeeds: no channel is closed on the way.
        const channel = await connection.createChannel();
        await Promise.all([
          ...names.map((name) => channel.deleteQueue(name)),
          ...this.queues.map((queue) => channel.deleteExchange(queue)),
        ]);
        await channel.close();
      } finally {
        await connection.close();
      }
    } catch (error) {
      console.error(
        `Could not delete the bench's RabbitMQ queues (${this.prefix}-*): ${(error as Error).message}. ` +
          `Delete them by hand: rabbitmqctl list_queues name | grep ${this.prefix}`,
      );
    }
  }

  /** The run's Redis keys and parked entries (also made on RabbitMQ runs: none then). */
  private async cleanRedis(): Promise<void> {
    const redis = new Redis(this.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      const keys = await redis.keys(`${this.prefix}*`);
      for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
      const bindings = await redis.keys(`_kombu.binding.${this.prefix}*`);
      if (bindings.length) await redis.del(...bindings);
      // Only this run's parked entries: the delayed zset is shared with everything on the server.
      // (The parked counts follow on the next scrape of any process: they no longer add up.)
      const all = (await redis.call('ZRANGE', 'celeriac:delayed', '0', '-1')) as string[];
      const parked = all.filter((member) => member.includes(this.prefix));
      if (parked.length) await redis.zrem('celeriac:delayed', ...parked);
    } catch (error) {
      if (!this.amqpUrl) {
        console.error(
          `Could not delete the bench's Redis keys (${this.prefix}*): ${(error as Error).message}`,
        );
      }
    } finally {
      redis.disconnect();
    }
  }
}
