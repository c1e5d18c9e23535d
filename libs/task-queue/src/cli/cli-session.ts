import { createBroker } from '../transports/broker.factory.js';
import { createResultBackend } from '../transports/result-backend.factory.js';
import type { Broker } from '../contracts/broker.interface.js';
import type { ResultBackend } from '../contracts/result-backend.interface.js';
import { UsageError } from './cli-error.js';
import { checkRedisReachable } from './redis-preflight.js';

/** Where to connect: the `--broker` / `--backend` flags, falling back to the environment. */
export interface ConnectionFlags {
  broker?: string;
  backend?: string;
}

/** Seconds results written through the CLI's backend are kept (Celery's default). */
const RESULT_EXPIRES = 86_400;

/**
 * The broker and result backend of one CLI invocation, built lazily with the library's own
 * factories and closed together at the end.
 */
export class CliSession {
  private broker: Broker | null = null;
  private backend: ResultBackend | null = null;

  constructor(
    private readonly flags: ConnectionFlags,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  get brokerUrl(): string {
    const url = this.flags.broker ?? this.env.CELERIAC_BROKER;
    if (!url) throw new UsageError('no broker: pass --broker URL or set CELERIAC_BROKER');
    return url;
  }

  get backendUrl(): string | undefined {
    return this.flags.backend ?? this.env.CELERIAC_RESULT_BACKEND;
  }

  /** The connected broker. */
  async getBroker(): Promise<Broker> {
    if (!this.broker) {
      await checkRedisReachable(this.brokerUrl);
      const broker = await createBroker(this.brokerUrl);
      this.broker = broker;
      await broker.connect();
    }
    return this.broker;
  }

  /** The connected result backend; a UsageError when none is configured. */
  async getBackend(): Promise<ResultBackend> {
    if (!this.backend) {
      const url = this.backendUrl;
      if (!url) {
        throw new UsageError(
          'no result backend: pass --backend URL or set CELERIAC_RESULT_BACKEND',
        );
      }
      await checkRedisReachable(url);
      const backend = await createResultBackend(url, {
        expires: RESULT_EXPIRES,
        brokerUrl: this.flags.broker ?? this.env.CELERIAC_BROKER,
      });
      if (!backend) throw new UsageError(`result backend "${url}" stores no results`);
      this.backend = backend;
      await backend.connect();
    }
    return this.backend;
  }

  /** Close whatever was opened; errors on close are not the command's outcome. */
  async close(): Promise<void> {
    const open = [this.backend, this.broker];
    this.backend = null;
    this.broker = null;
    await Promise.allSettled(open.map((c) => c?.close()));
  }
}
