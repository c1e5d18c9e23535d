import { AsyncResult, type Broker, type ResultBackend } from 'celeriac';
import { createBroker, createResultBackend, createTaskMessage } from 'celeriac/protocol';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { ensureBuilt } from './interop-build.js';
import { stopAll } from './interop-processes.js';
import { REDIS_URL } from './redis-test-server.js';

/** Options of one Node-produced task, as Celery's apply_async takes them. */
export interface NodeSendOptions {
  queue: string;
  priority?: number;
  /** Seconds from now. */
  countdown?: number;
  /** Seconds from now (negative: already expired). */
  expires?: number;
}

/**
 * A Celeriac producer built from the library alone (no Nest app): factories, the protocol v2
 * message factory and AsyncResult. Remembers every task id and the queues it used, and removes
 * their results and keys on close.
 */
export class InteropProducer {
  private readonly ids = new Set<string>();
  private readonly queues = new Set<string>();

  private constructor(
    private readonly url: string,
    readonly broker: Broker,
    readonly backend: ResultBackend,
  ) {}

  static async open(url: string): Promise<InteropProducer> {
    const broker = await createBroker(url);
    const backend = await createResultBackend(url, { expires: 600 });
    if (!backend) throw new Error('no result backend');
    await Promise.all([broker.connect(), backend.connect()]);
    return new InteropProducer(url, broker, backend);
  }

  /** Publish `name(*args)` and return its result handle. */
  async send<R>(name: string, args: unknown[], options: NodeSendOptions): Promise<AsyncResult<R>> {
    const now = Date.now();
    const message = createTaskMessage({
      name,
      args,
      priority: options.priority,
      eta: options.countdown !== undefined ? new Date(now + options.countdown * 1000) : null,
      expires: options.expires !== undefined ? new Date(now + options.expires * 1000) : null,
    });
    this.track(message.headers.id, options.queue);
    await this.broker.publish(message, { queue: options.queue, priority: options.priority });
    return this.result<R>(message.headers.id);
  }

  /** A handle on a task sent by anyone; its result is removed on close. */
  result<R>(id: string): AsyncResult<R> {
    this.ids.add(id);
    return new AsyncResult<R>(id, this.backend);
  }

  /** Remember a queue (and task ids) whose keys close() deletes. */
  track(id: string | null, queue?: string): void {
    if (id) this.ids.add(id);
    if (queue) this.queues.add(queue);
  }

  /** Delete the tracked results and queue keys, then disconnect. */
  async close(): Promise<void> {
    const redis = new Redis(this.url);
    try {
      const keys = [...this.ids].map((id) => `celery-task-meta-${id}`);
      for (const queue of this.queues) {
        keys.push(`_kombu.binding.${queue}`);
        let cursor = '0';
        do {
          const [next, found] = await redis.scan(cursor, 'MATCH', `${queue}*`, 'COUNT', 500);
          cursor = next;
          keys.push(...found);
        } while (cursor !== '0');
      }
      if (keys.length > 0) await redis.del(...keys);
    } finally {
      redis.disconnect();
      await Promise.allSettled([this.broker.close(), this.backend.close()]);
    }
  }
}

/**
 * Registers the file's beforeAll / afterAll: the interop apps built and a producer opened on
 * `url`; at the end every process the file started stopped, then the producer closed (removing
 * what it tracked). Register the file's own hooks after this call: its beforeAll then runs
 * after the producer opened, its afterAll before the processes are stopped. Returns the
 * producer (after beforeAll).
 */
export function useInteropProducer(url = REDIS_URL): () => InteropProducer {
  let producer: InteropProducer | undefined;
  beforeAll(async () => {
    await ensureBuilt();
    producer = await InteropProducer.open(url);
  }, 120_000);
  afterAll(async () => {
    await stopAll();
    await producer?.close();
  }, 60_000);
  return () => {
    if (!producer) throw new Error('The interop producer is not open yet (used before beforeAll).');
    return producer;
  };
}
