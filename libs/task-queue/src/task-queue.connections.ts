import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import type { ResolvedTaskQueueOptions } from './config/resolved-options.js';
import type { Broker } from './contracts/broker.interface.js';
import type { ResultBackend } from './contracts/result-backend.interface.js';
import { getBrokerToken, getResultBackendToken, getTaskQueueConfigToken } from './utils/tokens.js';

/**
 * Opens the broker and result backend at module init (in every app, producer-only ones too) and
 * closes them last, in `onApplicationShutdown`, after the worker has settled its messages.
 */
@Injectable()
export class TransportConnections implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('TaskQueue');
  private closed?: Promise<void>;

  constructor(
    @Inject(getTaskQueueConfigToken()) private readonly config: ResolvedTaskQueueOptions,
    @Inject(getBrokerToken()) private readonly broker: Broker,
    @Inject(getResultBackendToken()) private readonly backend: ResultBackend | null,
  ) {}

  get brokerDescription(): string {
    return typeof this.config.broker === 'string'
      ? this.config.broker
      : `${this.broker.transport} (instance)`;
  }

  get backendDescription(): string {
    if (!this.backend) return 'disabled';
    return typeof this.config.resultBackend === 'string'
      ? this.config.resultBackend
      : `${this.backend.kind} (instance)`;
  }

  async onModuleInit(): Promise<void> {
    try {
      await this.broker.connect();
      await this.backend?.connect();
    } catch (error) {
      // Boot fails, and Nest calls no shutdown hook after a failed init: close here, or the
      // clients keep reconnecting and hold the process open (tests, abortOnError: false).
      await this.close();
      throw error;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  /** Close both connections once (idempotent). */
  close(): Promise<void> {
    this.closed ??= (async () => {
      await this.broker
        .close()
        .catch((e: Error) => this.logger.warn(`Closing the broker failed: ${e.message}`));
      await this.backend
        ?.close()
        .catch((e: Error) => this.logger.warn(`Closing the result backend failed: ${e.message}`));
    })();
    return this.closed;
  }
}
