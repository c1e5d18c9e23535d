import { randomBytes } from 'node:crypto';
import { connect } from 'amqplib';
import { Redis } from 'ioredis';

const LOCK_KEY = 'celeriac-bench:lock';
/** Redis databases the bench may claim, tried in this order. */
const CANDIDATE_DBS = [15, 14, 13, 12, 11, 10, 9];

/**
 * What one bench run owns: a run id, an empty Redis database claimed for the run (every
 * system's keys live there, so cleanup is a FLUSHDB of that database only) and the RabbitMQ
 * queues / exchanges it declared (deleted by name at the end). Loopback only.
 */
export class BenchEnv {
  readonly runId = `bench${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  private readonly amqpNames = new Set<string>();

  private constructor(
    readonly redisUrl: string,
    readonly amqpUrl: string | null,
    /** A client on the claimed database (counters, INFO). */
    readonly admin: Redis,
  ) {}

  /** Claim an empty database on `redisHost`; check whether RabbitMQ answers at `amqpUrl`. */
  static async open(redisHost: string, amqpUrl: string): Promise<BenchEnv> {
    for (const db of CANDIDATE_DBS) {
      const client = new Redis(`${redisHost}/${db}`, { lazyConnect: true });
      await client.connect();
      const empty = (await client.dbsize()) === 0;
      if (empty && (await client.set(LOCK_KEY, String(process.pid), 'EX', 7200, 'NX'))) {
        const amqp = (await amqpReachable(amqpUrl)) ? amqpUrl : null;
        return new BenchEnv(`${redisHost}/${db}`, amqp, client);
      }
      client.disconnect();
    }
    throw new Error(`No empty Redis database among ${CANDIDATE_DBS.join(', ')} to run in.`);
  }

  /** A queue name unique to this run; AMQP ones are remembered for cleanup. */
  queue(parts: string[], amqp: boolean): string {
    const name = [this.runId, ...parts].join('-');
    if (amqp) this.amqpNames.add(name);
    return name;
  }

  /** Delete what the run created. Never throws. */
  async cleanup(): Promise<void> {
    await this.admin.flushdb().catch(() => undefined);
    this.admin.disconnect();
    if (!this.amqpUrl || this.amqpNames.size === 0) return;
    try {
      const connection = await connect(this.amqpUrl);
      const channel = await connection.createChannel();
      channel.on('error', () => undefined);
      for (const name of this.amqpNames) {
        for (const queue of [name, `${name}.dlq`]) await channel.deleteQueue(queue);
        await channel.deleteExchange(name);
      }
      await connection.close();
    } catch (error) {
      console.warn(`RabbitMQ cleanup failed: ${(error as Error).message}`);
    }
  }
}

async function amqpReachable(url: string): Promise<boolean> {
  try {
    const connection = await connect(url, { timeout: 2000 });
    await connection.close();
    return true;
  } catch {
    return false;
  }
}
