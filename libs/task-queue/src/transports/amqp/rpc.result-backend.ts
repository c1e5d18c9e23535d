import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { AmqpConnection } from './amqp.connection.js';
import { errorText } from '../../utils/error-text.js';
import { AmqpPublisher } from './amqp.publisher.js';
import { ResultBackendError } from '../../errors/result-backend.error.js';
import type {
  ResultBackend,
  StoreContext,
  TaskMeta,
  WaitOptions,
} from '../../contracts/result-backend.interface.js';
import { encodeTaskMeta } from '../../protocol/task-meta.codec.js';
import { decodePythonJson } from '../../protocol/python-floats.js';
import { waitForEvent } from '../../results/wait-for-event.js';
import type { RpcResultBackendOptions } from './rpc-result-backend.options.js';
import { RpcResultCache } from './rpc.result-cache.js';
import { AmqpMessages } from './amqp.messages.js';

/**
 * Celery's `rpc://` result backend (docs/protocol.md#rpc-results). Results travel as messages:
 *
 * - producer side: this process owns one reply queue, named by a uuid and exposed as
 *   {@link replyTo}, which producers put in every task's `reply_to`. `connect()` declares it
 *   (non-durable, `x-expires` = `expiresMs`) and consumes it; `get` and `waitForReady` read the
 *   latest state received for a task id;
 * - worker side: `store(meta, { replyTo, correlationId })` publishes the meta as JSON to the
 *   default exchange with routing key `replyTo`, `correlation_id` = the task id, empty headers,
 *   delivery_mode 1 (2 with `persistent`), exactly like a Python worker. Without a `replyTo`
 *   nothing is sent, as in Celery.
 *
 * Results are visible only to the process that sent the task, and only while it runs: another
 * process (or this one after a restart) sees PENDING. Use Redis or a database backend when
 * results must be shared or survive restarts. Unlike Celery, the reply queue is not
 * auto-delete, so results published while the connection is down wait for the reconnect
 * (nobody else declares this queue, so this does not conflict with Python); `close()` deletes it.
 * @publicApi
 */
export class RpcResultBackend implements ResultBackend {
  readonly kind = 'rpc';
  /** This process's reply queue, for the `reply_to` property of outgoing tasks. */
  readonly replyTo: string;
  private readonly logger = new Logger('RpcResultBackend');
  private readonly connection: AmqpConnection;
  private readonly ownsConnection: boolean;
  private readonly publisher: AmqpPublisher;
  private readonly cache: RpcResultCache;
  private readonly waiters = new Set<() => void>();
  private channel: Channel | undefined;
  private consuming: Promise<void> | undefined;
  private closed = false;
  private readonly onReconnect = (model: ChannelModel): void =>
    void this.resume(model).catch(() => undefined);

  constructor(
    url: string,
    private readonly options: RpcResultBackendOptions = {},
  ) {
    this.replyTo = options.replyQueue ?? randomUUID();
    this.ownsConnection = !options.connection;
    this.connection =
      options.connection ??
      new AmqpConnection(url, {
        connectionName: options.connectionName ?? `celeriac rpc ${process.pid}`,
        logContext: 'RpcResultBackend',
      });
    this.publisher = new AmqpPublisher(this.connection, {
      publishTimeout: options.publishTimeout ?? 10_000,
      whenDisconnected: 'wait',
    });
    this.cache = new RpcResultCache(options.maxResults ?? 100_000);
  }

  async connect(): Promise<void> {
    const model = await this.connection.open();
    this.connection.off('connected', this.onReconnect).on('connected', this.onReconnect);
    await this.resume(model);
  }

  async store(meta: TaskMeta, context?: StoreContext): Promise<void> {
    if (!context) {
      this.cache.put(meta.task_id, structuredClone(meta));
      return;
    }
    if (!context.replyTo) return;
    const content = Buffer.from(encodeTaskMeta(meta), 'utf8');
    const options = {
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      deliveryMode: this.options.persistent ? 2 : 1,
      correlationId: context.correlationId || meta.task_id,
      headers: {},
    };
    await this.publisher.publish(context.replyTo, { content, options }, async () => ({
      exchange: '',
      routingKey: context.replyTo,
    }));
  }

  async get(taskId: string): Promise<TaskMeta | null> {
    return this.cache.get(taskId);
  }

  async waitForReady(taskId: string, options: WaitOptions = {}): Promise<TaskMeta> {
    return waitForEvent(taskId, options, {
      current: () => this.get(taskId),
      subscribe: (onMeta) => {
        const off = (): void => {
          this.cache.events.off(taskId, onMeta);
          this.waiters.delete(off);
        };
        this.cache.events.on(taskId, onMeta);
        this.waiters.add(off);
        return off;
      },
    });
  }

  async forget(taskId: string): Promise<void> {
    this.cache.delete(taskId);
  }

  /** Resolves while the connection is open and the reply queue consumed; rejects otherwise. */
  async ping(): Promise<void> {
    if (!this.connection.isConnected || !this.channel)
      throw new ResultBackendError(AmqpMessages.notConnected());
  }

  /** Stop consuming, delete the reply queue, and close the connection unless it is shared. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.connection.off('connected', this.onReconnect);
    for (const off of [...this.waiters]) off();
    const channel = this.channel;
    this.channel = undefined;
    if (channel) {
      await channel.deleteQueue(this.replyTo).catch(() => undefined);
      await channel.close().catch(() => undefined);
    }
    if (this.ownsConnection) await this.connection.close();
  }

  /** Declare the reply queue and consume it on `model` (first connect and every reconnect). */
  private resume(model: ChannelModel): Promise<void> {
    this.consuming ??= this.subscribe(model)
      .catch((error: unknown) => {
        const message = `Could not consume the rpc:// reply queue ${this.replyTo}: ${errorText(error)}`;
        this.logger.error(message);
        throw new ResultBackendError(message, { cause: error });
      })
      .finally(() => (this.consuming = undefined));
    return this.consuming;
  }

  private async subscribe(model: ChannelModel): Promise<void> {
    if (this.closed) return;
    const channel = await model.createChannel();
    channel.on('error', (error: Error) =>
      this.logger.warn(`rpc:// channel error: ${error.message}`),
    );
    channel.once('close', () => this.onChannelClosed(channel));
    await channel.assertQueue(this.replyTo, {
      durable: false,
      autoDelete: false,
      exclusive: false,
      arguments: { 'x-expires': this.options.expiresMs ?? 86_400_000 },
    });
    await channel.prefetch(1_000);
    await channel.consume(this.replyTo, (raw) => raw && this.receive(channel, raw), {
      noAck: false,
    });
    this.channel = channel;
  }

  /** A channel-level loss on a live connection: consume again (a reconnect does it otherwise). */
  private onChannelClosed(channel: Channel): void {
    if (this.closed || this.channel !== channel) return;
    this.channel = undefined;
    setTimeout(() => {
      const model = this.connection.current;
      if (model && !this.closed && !this.channel) this.onReconnect(model);
    }, 1_000).unref();
  }

  private receive(channel: Channel, raw: ConsumeMessage): void {
    try {
      const meta = decodePythonJson(
        raw.content.toString('utf8'),
        'rpc:// result',
      ) as Partial<TaskMeta>;
      const taskId =
        typeof raw.properties.correlationId === 'string'
          ? raw.properties.correlationId
          : meta.task_id;
      if (typeof taskId === 'string' && typeof meta.status === 'string') {
        this.cache.put(taskId, {
          ...meta,
          task_id: meta.task_id ?? taskId,
          status: meta.status,
          result: meta.result ?? null,
          traceback: meta.traceback ?? null,
          children: meta.children ?? [],
          date_done: meta.date_done ?? null,
        });
      } else {
        this.logger.warn(`Ignored an rpc:// reply without a task id or status on ${this.replyTo}.`);
      }
    } catch (error) {
      this.logger.warn(
        `Ignored an undecodable rpc:// reply on ${this.replyTo}: ${errorText(error)}`,
      );
    }
    try {
      channel.ack(raw);
    } catch {
      // The channel closed: RabbitMQ redelivers the reply after the reconnect.
    }
  }
}
