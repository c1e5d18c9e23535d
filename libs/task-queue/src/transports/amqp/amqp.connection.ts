import { EventEmitter } from 'node:events';
import type { ConnectionOptions } from 'node:tls';
import { Logger } from '@nestjs/common';
import { connect, type Channel, type ChannelModel } from 'amqplib';
import { BrokerConnectionError } from '../../errors/broker-connection.error.js';
import { DEFAULT_RECONNECT, type AmqpReconnectOptions } from './amqp-broker.options.js';
import { AmqpMessages } from './amqp.messages.js';
import { coalesceWrites } from './amqp-write-coalescing.js';
import { withTimeout } from '../../utils/with-timeout.js';
import {
  describeConnectionError,
  isTlsError,
  presentsClientCertificate,
  takeTlsOptions,
} from '../../utils/tls-options.js';

/** Settings of one {@link AmqpConnection}. @publicApi */
export interface AmqpConnectionOptions {
  /** Shown by RabbitMQ as the connection name. */
  connectionName?: string;
  /** AMQP heartbeat, seconds. Default 60. */
  heartbeat?: number;
  reconnect?: AmqpReconnectOptions;
  /** Logger context. Default `AmqpBroker`. */
  logContext?: string;
  /**
   * TLS settings for `amqps://` (Node's `tls.connect` options: `ca`, `cert`, `key`,
   * `servername`, ...); they win over the URL's `ssl_ca_certs` / `ssl_certfile` /
   * `ssl_keyfile` / `ssl_cert_reqs` parameters.
   */
  tls?: ConnectionOptions;
  /**
   * Milliseconds the TCP connect and the AMQP handshake may stay silent before the attempt
   * fails (default 10 000): a URL pointing at a port that is not RabbitMQ's AMQP port (Redis,
   * the management UI) would otherwise wait for ever.
   */
  connectTimeout?: number;
}

const CONNECT_TIMEOUT_MS = 10_000;
/** How long a close waits for RabbitMQ's answer before it drops the socket. */
const CLOSE_GRACE_MS = 10_000;

type State = 'idle' | 'connected' | 'reconnecting' | 'closed';

/**
 * One RabbitMQ connection that heals itself. After an unexpected loss it reconnects with
 * exponential backoff and emits `connected` with the new model, so its owners re-open channels,
 * re-declare topology and resume consumers. Emits `disconnected` with the cause on a loss.
 * Shared by the broker and the rpc:// backend (`AmqpBroker.connection`).
 * @publicApi
 */
export class AmqpConnection extends EventEmitter {
  private readonly logger: Logger;
  private readonly backoff: Required<AmqpReconnectOptions>;
  private model: ChannelModel | undefined;
  private state: State = 'idle';
  private opening: Promise<ChannelModel> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private lastCause: string | undefined;
  private blockedBy: string | undefined;

  constructor(
    private readonly url: string,
    private readonly options: AmqpConnectionOptions = {},
  ) {
    super();
    this.setMaxListeners(0);
    this.logger = new Logger(options.logContext ?? 'AmqpBroker');
    this.backoff = { ...DEFAULT_RECONNECT, ...options.reconnect };
  }

  /** True while a live connection is held. */
  get isConnected(): boolean {
    return this.state === 'connected' && this.model !== undefined;
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  /** RabbitMQ's reason while it blocks this connection's publishes (an alarm), else undefined. */
  get blockedReason(): string | undefined {
    return this.model ? this.blockedBy : undefined;
  }

  /** The live model, or undefined while disconnected. */
  get current(): ChannelModel | undefined {
    return this.isConnected ? this.model : undefined;
  }

  /** Open the first connection; rejects with BrokerConnectionError when RabbitMQ is unreachable. */
  async open(): Promise<ChannelModel> {
    if (this.state === 'closed') throw new BrokerConnectionError(AmqpMessages.closed());
    if (this.model && this.state === 'connected') return this.model;
    if (this.state === 'reconnecting') return this.waitConnected();
    this.opening ??= this.dial().finally(() => (this.opening = undefined));
    try {
      return await this.opening;
    } catch (error) {
      throw new BrokerConnectionError(AmqpMessages.connectFailed(this.url, this.describe(error)), {
        cause: error,
      });
    }
  }

  /**
   * The live model, waiting up to `timeoutMs` for a reconnect. Rejects with
   * BrokerConnectionError when the time runs out or the connection is closed.
   */
  waitConnected(timeoutMs?: number): Promise<ChannelModel> {
    const model = this.current;
    if (model) return Promise.resolve(model);
    if (this.state === 'closed')
      return Promise.reject(new BrokerConnectionError(AmqpMessages.closed()));
    if (this.state === 'idle') return this.open();
    return new Promise<ChannelModel>((resolve, reject) => {
      const onConnected = (next: ChannelModel): void => done(null, next);
      const onClosed = (): void => done(new BrokerConnectionError(AmqpMessages.closed()));
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(
              () =>
                done(new BrokerConnectionError(`No RabbitMQ connection within ${timeoutMs} ms.`)),
              timeoutMs,
            );
      const done = (error: Error | null, next?: ChannelModel): void => {
        if (timer) clearTimeout(timer);
        this.off('connected', onConnected);
        this.off('closed', onClosed);
        if (error) reject(error);
        else resolve(next!);
      };
      this.on('connected', onConnected);
      this.once('closed', onClosed);
    });
  }

  /**
   * Close for good: no more reconnects; channels close and unacked messages are requeued. When
   * RabbitMQ does not answer within `graceMs` (it stopped reading a connection it blocked, a
   * partition), the socket is dropped: RabbitMQ requeues the unacked messages when it sees it go.
   */
  async close(graceMs = CLOSE_GRACE_MS): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (this.timer) clearTimeout(this.timer);
    const model = this.model ?? (await this.opening?.catch(() => undefined));
    this.model = undefined;
    this.emit('closed');
    if (!model) return;
    await withTimeout(model.close(), graceMs, () => new Error('no answer')).catch(() =>
      dropSocket(model),
    );
  }

  /** A connection error for a log line: TLS failures spelled out with what to pass. */
  private describe(error: unknown): string {
    return describeConnectionError(
      error,
      this.url,
      presentsClientCertificate(this.url, this.options.tls),
    );
  }

  private async dial(): Promise<ChannelModel> {
    const { url, tls } = takeTlsOptions(this.url, this.options.tls);
    const timeout = this.options.connectTimeout ?? CONNECT_TIMEOUT_MS;
    const model = await connect(withHeartbeat(url, this.options.heartbeat ?? 60), {
      ...tls,
      // No Nagle: a lone ack or publish goes out now, not after the previous segment's ACK.
      noDelay: true,
      // amqplib's socket idle timeout, lifted once the handshake is done.
      timeout,
      clientProperties: {
        connection_name: this.options.connectionName ?? `celeriac ${process.pid}`,
      },
    }).catch((error: unknown) => {
      if (error instanceof Error && error.message === 'connect ETIMEDOUT')
        throw new Error(AmqpMessages.noHandshake(timeout), { cause: error });
      throw error;
    });
    coalesceWrites(model);
    if (this.state === 'closed') {
      await model.close().catch(() => undefined);
      throw new BrokerConnectionError(AmqpMessages.closed());
    }
    model.on('error', (error: Error) =>
      this.logger.warn(`RabbitMQ connection error: ${error.message}`),
    );
    model.once('close', (error?: Error) => this.onLost(model, error));
    this.blockedBy = undefined;
    model.on('blocked', (reason: string) => {
      if (this.model !== model) return;
      this.blockedBy = reason;
      this.logger.warn(AmqpMessages.connectionBlocked(this.url, reason));
    });
    model.on('unblocked', () => {
      if (this.model !== model || this.blockedBy === undefined) return;
      this.blockedBy = undefined;
      this.logger.log(AmqpMessages.connectionUnblocked(this.url));
    });
    this.model = model;
    this.state = 'connected';
    this.emit('connected', model);
    return model;
  }

  private onLost(model: ChannelModel, error?: Error): void {
    if (this.model !== model || this.state === 'closed') return;
    this.model = undefined;
    this.state = 'reconnecting';
    this.attempt = 0;
    const cause = error ? this.describe(error) : 'closed by the server';
    this.emit('disconnected', error ?? new Error(cause));
    this.scheduleReconnect((delay) =>
      this.logger.error(AmqpMessages.connectionLost(this.url, cause, delay)),
    );
  }

  private scheduleReconnect(log: (delay: number) => void): void {
    this.attempt++;
    const delay = this.delayFor(this.attempt);
    log(delay);
    this.timer = setTimeout(() => void this.tryReconnect(), delay);
  }

  private async tryReconnect(): Promise<void> {
    if (this.state === 'closed') return;
    try {
      await this.dial();
      this.logger.log(AmqpMessages.reconnected(this.url, this.attempt));
      this.lastCause = undefined;
    } catch (error) {
      if (this.isClosed) return;
      // The outage was logged once when the connection was lost; a failed attempt is logged
      // only for a cause that waiting will not cure (TLS, refused login or vhost), once.
      const attempt = this.attempt;
      const cause = this.describe(error);
      const news = cause !== this.lastCause && needsAction(error, cause);
      if (news) this.lastCause = cause;
      this.scheduleReconnect((delay) => {
        if (news) this.logger.warn(AmqpMessages.reconnectFailed(attempt, cause, delay));
      });
    }
  }

  private delayFor(attempt: number): number {
    const { initialDelay, maxDelay, factor, jitter } = this.backoff;
    const base = Math.min(maxDelay, initialDelay * factor ** (attempt - 1));
    const spread = base * jitter * (Math.random() * 2 - 1);
    return Math.max(0, Math.min(maxDelay, Math.round(base + spread)));
  }
}

/** A connection failure that retrying alone will not fix. */
function needsAction(error: unknown, cause: string): boolean {
  return isTlsError(error) || /ACCESS[-_]REFUSED|NOT[-_]ALLOWED|\b40[23]\b/.test(cause);
}

/**
 * Destroy the model's socket (amqplib keeps it as `connection.stream`; its types do not say
 * so): the only way out of a close RabbitMQ never answers. amqplib then emits `close`.
 */
function dropSocket(model: ChannelModel): void {
  const connection = model.connection as { stream?: { destroy(): void } };
  connection.stream?.destroy();
}

/** Add `?heartbeat=` unless the URL sets it. */
function withHeartbeat(url: string, heartbeat: number): string {
  if (/[?&]heartbeat=/.test(url)) return url;
  return `${url}${url.includes('?') ? '&' : '?'}heartbeat=${heartbeat}`;
}

/**
 * Close a channel and resolve once RabbitMQ confirmed it, or once the channel is gone with its
 * connection (amqplib never settles a pending `close()` whose connection closes meanwhile, as
 * when a shared connection is closed by its owner at the same time). Never rejects.
 */
export function closeChannel(channel: Channel): Promise<void> {
  return new Promise<void>((resolve) => {
    channel.once('close', () => resolve());
    channel.close().then(
      () => resolve(),
      () => resolve(),
    );
  });
}
