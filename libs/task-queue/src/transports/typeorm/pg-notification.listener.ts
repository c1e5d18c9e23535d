import { Logger } from '@nestjs/common';
import type { DataSource, QueryRunner } from 'typeorm';

interface PgClientLike {
  query(sql: string): Promise<unknown>;
  on(
    event: 'notification',
    listener: (message: { channel: string; payload?: string }) => void,
  ): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  removeListener(event: string, listener: (...args: never[]) => void): unknown;
}

/**
 * One dedicated PostgreSQL connection that `LISTEN`s on a channel and calls `onNotify` for each
 * notification; reconnects after a connection error. Shared by every waiter of its owner.
 */
export class PgNotificationListener {
  private readonly logger = new Logger('PgNotificationListener');
  private queryRunner?: QueryRunner;
  private client?: PgClientLike;
  private starting?: Promise<void>;
  private stopped = false;
  private retryTimer?: NodeJS.Timeout;

  constructor(
    private readonly dataSource: DataSource,
    private readonly channel: string,
    private readonly onNotify: (payload: string) => void,
    /** Called after (re)connecting: notifications may have been missed meanwhile. */
    private readonly onReconnect: () => void = () => undefined,
  ) {}

  /** Connect and LISTEN (idempotent). */
  start(): Promise<void> {
    this.stopped = false;
    this.starting ??= this.connect().catch((error: unknown) => {
      this.starting = undefined;
      throw error;
    });
    return this.starting;
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
    await client.query(`LISTEN ${this.dataSource.driver.escape(this.channel)}`);
  }

  private readonly handleNotification = (message: { channel: string; payload?: string }): void => {
    if (message.channel === this.channel) this.onNotify(message.payload ?? '');
  };

  private readonly handleError = (error: Error): void => {
    this.logger.warn(
      `LISTEN connection for "${this.channel}" failed: ${error.message}. Reconnecting; polling covers the gap.`,
    );
    void this.disconnect(false).then(() => this.scheduleReconnect());
  };

  private scheduleReconnect(): void {
    if (this.stopped) return;
    this.starting = undefined;
    this.retryTimer = setTimeout(() => {
      this.start().then(this.onReconnect, () => this.scheduleReconnect());
    }, 1_000);
    this.retryTimer.unref();
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
