import { randomUUID } from 'node:crypto';
import { Injectable, Logger, type OnApplicationShutdown, Optional } from '@nestjs/common';
import { LamportClock } from '../celery-events/lamport-clock.js';
import type {
  ControlCallOptions,
  ControlRevokeOptions,
  TaskRevoker,
} from './control-client.options.js';
import type { ControlReplies, ControlRequest } from './control-message.js';
import { BroadcastTransportHolder } from '../../transports/broadcast-transport.holder.js';
import { BroadcastTransportHost } from '../../transports/broadcast-transport.host.js';
import type { BroadcastTransport } from '../../contracts/broadcast-transport.interface.js';
import { PIDBOX_EXCHANGE, REPLY_EXCHANGE } from '../../broadcast/pidbox.names.js';

const DEFAULT_TIMEOUT = 1000;

/**
 * Celery remote control from Node (docs/protocol.md#remote-control): ping, inspect, revoke and
 * shut down ANY worker on the broker, Python or Celeriac. Replies come back by nodename.
 * Injectable (uses the module's broker), or standalone with {@link ControlClient.connect}.
 *
 * @example
 * const client = await ControlClient.connect('redis://localhost:6379/0');
 * const pongs = await client.ping({ timeout: 1000 }); // { 'celery@host': { ok: 'pong' } }
 * await client.close();
 * @publicApi
 */
@Injectable()
export class ControlClient implements OnApplicationShutdown {
  private readonly logger = new Logger('CeleryControl');
  private readonly transport: BroadcastTransportHolder;

  constructor(
    @Optional() host?: BroadcastTransportHost,
    @Optional() private readonly clock: LamportClock = new LamportClock(),
  ) {
    this.transport = new BroadcastTransportHolder(host, 'ControlClient');
  }

  /** A standalone client on `brokerUrl` (`redis://`, `amqp://`, `memory://name`). */
  static async connect(brokerUrl: string): Promise<ControlClient> {
    const client = new ControlClient(undefined, new LamportClock());
    await client.transport.connect(brokerUrl);
    return client;
  }

  /** `celery inspect ping`: `{ node: { ok: 'pong' } }`. */
  ping(options?: ControlCallOptions): Promise<ControlReplies<{ ok: string }>> {
    return this.call('ping', {}, options);
  }

  /** `celery inspect stats`: counters, pool, broker and rusage per node. */
  stats(options?: ControlCallOptions): Promise<ControlReplies<Record<string, unknown>>> {
    return this.call('stats', {}, options);
  }

  /**
   * `celery inspect registered`: task names per node, as Celery lists them: a task with a rate
   * limit reads `name [rate_limit=10/m]`.
   */
  registered(options?: ControlCallOptions): Promise<ControlReplies<string[]>> {
    return this.call('registered', { taskinfoitems: [] }, options);
  }

  /** `celery inspect active`: running requests per node. */
  active(options?: ControlCallOptions): Promise<ControlReplies<Record<string, unknown>[]>> {
    return this.call('active', { safe: null }, options);
  }

  /** `celery inspect reserved`: prefetched, not yet running requests per node. */
  reserved(options?: ControlCallOptions): Promise<ControlReplies<Record<string, unknown>[]>> {
    return this.call('reserved', {}, options);
  }

  /** `celery inspect scheduled`: ETA requests per node. */
  scheduled(options?: ControlCallOptions): Promise<ControlReplies<Record<string, unknown>[]>> {
    return this.call('scheduled', {}, options);
  }

  /** Any `inspect` method by name (`revoked`, `active_queues`, `conf`, `query_task` ...). */
  inspect<T = unknown>(
    method: string,
    args: Record<string, unknown> = {},
    options?: ControlCallOptions,
  ): Promise<ControlReplies<T>> {
    return this.call(method, args, options);
  }

  /** `celery control revoke`: workers skip (or with `terminate`, stop) these tasks. */
  revoke(
    taskIds: string | string[],
    options: ControlRevokeOptions = {},
  ): Promise<ControlReplies<{ ok?: string; error?: string }>> {
    const args = {
      task_id: [taskIds].flat(),
      terminate: options.terminate ?? false,
      signal: options.signal ?? 'SIGTERM',
    };
    if (options.reply === false) return this.cast('revoke', args, options).then(() => ({}));
    return this.call('revoke', args, options);
  }

  /** `celery control shutdown`: workers stop gracefully (no reply is sent). */
  async shutdown(options: Omit<ControlCallOptions, 'timeout' | 'limit'> = {}): Promise<void> {
    await this.cast('shutdown', {}, options);
  }

  /** A function `AsyncResult.revoke()` can call. */
  revoker(): TaskRevoker {
    return (taskId, options) => this.revoke(taskId, options);
  }

  /** Broadcast a command and collect `{ node: reply }` until the timeout or the limit. */
  async call<T = unknown>(
    method: string,
    args: Record<string, unknown> = {},
    options: ControlCallOptions = {},
  ): Promise<ControlReplies<T>> {
    const transport = await this.transport.get();
    const timeout = options.timeout ?? DEFAULT_TIMEOUT;
    const limit = options.limit ?? (options.destination?.length || Infinity);
    const oid = randomUUID();
    const ticket = randomUUID();
    const queue = await transport.openReplyQueue(oid);
    const replies: ControlReplies<T> = {};
    try {
      await this.publish(transport, method, args, options, timeout, {
        ticket,
        reply_to: { exchange: REPLY_EXCHANGE.name, routing_key: oid },
      });
      const deadline = Date.now() + timeout;
      let count = 0;
      while (count < limit) {
        const message = await queue.next(deadline - Date.now());
        if (!message) break;
        this.clock.adjust(message.headers.clock);
        if (message.headers.ticket !== ticket || !isRecord(message.body)) continue;
        for (const [node, value] of Object.entries(message.body)) {
          replies[node] = value as T;
          count++;
        }
      }
    } finally {
      await queue.close().catch(() => undefined);
    }
    return replies;
  }

  /** Close the standalone transport (injected clients share the module's and skip this). */
  close(): Promise<void> {
    return this.transport.close();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  private async cast(method: string, args: Record<string, unknown>, options: ControlCallOptions) {
    await this.publish(await this.transport.get(), method, args, options, 0, {});
  }

  private async publish(
    transport: BroadcastTransport,
    method: string,
    args: Record<string, unknown>,
    options: ControlCallOptions,
    timeout: number,
    reply: Pick<ControlRequest, 'ticket' | 'reply_to'>,
  ): Promise<void> {
    const body: ControlRequest = {
      method,
      arguments: args,
      destination: options.destination ?? null,
      pattern: options.pattern ?? null,
      matcher: options.matcher ?? null,
      ...reply,
    };
    this.logger.debug(
      `Broadcasting remote-control "${method}" to ${options.destination?.join(', ') ?? 'all workers'}.`,
    );
    await transport.publish(PIDBOX_EXCHANGE, '', {
      body,
      headers: {
        clock: this.clock.forward(),
        expires: timeout ? (Date.now() + timeout) / 1000 : 0,
      },
      deliveryMode: 2,
    });
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
