import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { ResolvedTaskQueueOptions } from '../config/resolved-options.js';
import type { Broker } from '../contracts/broker.interface.js';
import { getBrokerToken, getTaskQueueConfigToken } from '../utils/tokens.js';
import type { BroadcastTransport } from '../contracts/broadcast-transport.interface.js';
import { createBroadcastTransport } from './broadcast-transport.factory.js';

/**
 * The module's one broadcast transport (events + remote control), created on first use from
 * the configured broker and closed in `onApplicationShutdown`. On RabbitMQ it shares the
 * broker's connection.
 */
@Injectable()
export class BroadcastTransportHost implements OnApplicationShutdown {
  private readonly logger = new Logger('CeleryControl');
  private transport?: Promise<BroadcastTransport>;

  constructor(
    @Inject(getTaskQueueConfigToken()) private readonly config: ResolvedTaskQueueOptions,
    @Inject(getBrokerToken()) private readonly broker: Broker,
  ) {}

  /** The transport, created on the first call. */
  get(): Promise<BroadcastTransport> {
    this.transport ??= createBroadcastTransport(this.source()).catch((error: Error) => {
      this.transport = undefined;
      throw error;
    });
    return this.transport;
  }

  async onApplicationShutdown(): Promise<void> {
    const transport = await this.transport?.catch(() => undefined);
    this.transport = undefined;
    await transport
      ?.close()
      .catch((e: Error) => this.logger.warn(`Closing the control transport failed: ${e.message}`));
  }

  /** The broker URL when configured by URL (AMQP excepted: share the live connection). */
  private source(): string | Broker {
    const configured = this.config.broker;
    if (typeof configured === 'string' && this.broker.transport !== 'amqp') return configured;
    return this.broker;
  }
}
