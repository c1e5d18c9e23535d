import { Logger } from '@nestjs/common';
import type { DataSource, QueryRunner } from 'typeorm';
import { errorText } from '../../utils/error-text.js';

interface PgClientLike {
  query(sql: string): Promise<unknown>;
  on(
    event: 'notification',
    listener: (message: { channel: string; payload?: string }) => void,
  ): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  removeListener(event: string, listener: (...args: never[]) => void): unknown;
}

/** Reconnect delays: 1 s, doubling, capped at 30 s. */
const RETRY_INITIAL_MS = 1_000;
const RETRY_MAX_MS = 30_000;

/**
 * One dedicated PostgreSQL connection that `LISTEN`s on a channel and calls `onNotify` for each
 * notification. When the connection is lost (PostgreSQL restart, `pg_terminate_backend`) it
 * LISTENs again with backoff, logging once on loss and once on recovery, then calls
 * `onReconnect` (notifications sent meanwhile are lost). Shared by every waiter of its owner.
 */
export class PgNotificationListener {
  private readonly logger = new Logger('PgNotificationListener');
  private queryRunner?: QueryRunner;
  private client?: PgClientLike;
  private starting?: Promise<void>;
  private stopped = false;
  private retryTimer?: NodeJS.Timeout;
  private retryDelayMs = RETRY_INITIAL_MS;
  /** Since when notifications are not heard (set while reconnecting). */
  private lostAt?: number;

  constructor(
    private readonly dataSource: DataSource,
    private readonly channel: string,
    private readonly onNotify: (payload: string) => void,
    /** Called after (re)connecting, and after `keepListening`'s first LISTEN: notifications may have been missed. */
    private readonly onReconnect: () => void = () => undefined,
    /** What covers missed notifications while disconnected, for the log ("polling every 2000 ms"). */
    private readonly fallback = 'polling covers the gap',
  ) {}

  /** Connect and LISTEN (idempotent). Rejects if the first attempt fails. */
  start(): Promise<void> {
    this.stopped = false;
    this.starting ??= this.connect().catch((error: unknown) => {
      this.starting = undefined;
      throw error;
    });
    return this.starting;
  }

  /**
   * Like `start`, but a failed first attempt is logged once and retried with backoff; once
   * LISTENing, `onReconnect` runs too (what was committed before the LISTEN was not heard).
   */
  keepListening(): void {
    this.start().then(
      () => this.onReconnect(),
      (error: unknown) => this.lost(error),
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.starting?.catch(() => undefined);
    await this.disconnect(true);
  }

  private async connect(): Promise<void> {
    const queryRunner = this.dataSource.createQueryRunner();
    const client = (await queryRunner.connect()) as PgClientLike;
    client.on('notification', this.handleNotification);
    client.on('error', this.handleError);
    this.queryRunner = queryRunner;
    this.client = client;
    try {
      await client.query(`LISTEN ${this.dataSource.driver.escape(this.channel)}`);
    } catch (error) {
      await this.disconnect(false);
      throw error;
    }
  }

  private readonly handleNotification = (message: { channel: string; payload?: string }): void => {
    if (message.channel === this.channel) this.onNotify(message.payload ?? '');
  };

  private readonly handleError = (error: Error): void => {
    void this.disconnect(false).then(() => this.lost(error));
  };

  /** The connection is gone (or never came): log once, then reconnect with backoff. */
  private lost(error: unknown): void {
    if (this.stopped) return;
    if (this.lostAt === undefined) {
      this.lostAt = Date.now();
      this.logger.warn(
        `LISTEN "${this.channel}" lost its PostgreSQL connection ` +
          `(${errorText(error)}); notifications are not ` +
          `heard until it is back, ${this.fallback}. Reconnecting with backoff (up to ` +
          `${RETRY_MAX_MS / 1_000} s); nothing to do if PostgreSQL was restarted, otherwise check ` +
          `that it is reachable.`,
      );
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    this.starting = undefined;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.start().then(
        () => this.reconnected(),
        () => this.scheduleReconnect(),
      );
    }, this.retryDelayMs);
    this.retryTimer.unref();
    this.retryDelayMs = Math.min(this.retryDelayMs * 2, RETRY_MAX_MS);
  }

  private reconnected(): void {
    const since = this.lostAt ?? Date.now();
    this.lostAt = undefined;
    this.retryDelayMs = RETRY_INITIAL_MS;
    this.logger.log(
      `LISTEN "${this.channel}" restored after ${((Date.now() - since) / 1_000).toFixed(1)} s; ` +
        `catching up on what was committed meanwhile.`,
    );
    this.onReconnect();
  }

  private async disconnect(clean: boolean): Promise<void> {
    const { client, queryRunner } = this;
    this.client = undefined;
    this.queryRunner = undefined;
    if (!client || !queryRunner) return;
    client.removeListener('notification', this.handleNotification);
    if (clean)
      await client
        .query(`UNLISTEN ${this.dataSource.driver.escape(this.channel)}`)
        .catch(() => undefined);
    client.removeListener('error', this.handleError);
    await queryRunner.release().catch(() => undefined);
  }
}
