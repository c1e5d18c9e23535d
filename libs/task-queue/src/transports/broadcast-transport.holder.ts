import { ConfigurationError } from '../errors/configuration.error.js';
import type { BroadcastTransport } from '../contracts/broadcast-transport.interface.js';
import { createBroadcastTransport } from './broadcast-transport.factory.js';
import type { BroadcastTransportHost } from './broadcast-transport.host.js';

/**
 * The broadcast transport of a client that works both injected and standalone (remote control,
 * the Celery-events receiver): injected, it uses the module's shared {@link BroadcastTransportHost};
 * after {@link connect}, a transport of its own, which only {@link close} closes.
 */
export class BroadcastTransportHolder {
  private own?: BroadcastTransport;

  /** @param owner the client's class name, for the error when it has no broker. */
  constructor(
    private readonly host: BroadcastTransportHost | undefined,
    private readonly owner: string,
  ) {}

  /** Open a transport of its own on `brokerUrl` (`redis://`, `amqp://`, `memory://name`). */
  async connect(brokerUrl: string): Promise<void> {
    this.own = await createBroadcastTransport(brokerUrl);
  }

  /** The transport to use: its own, else the module's. */
  async get(): Promise<BroadcastTransport> {
    if (this.own) return this.own;
    if (!this.host) {
      throw new ConfigurationError(
        `${this.owner} has no broker: inject it from TaskQueueModule or create one with ${this.owner}.connect(brokerUrl).`,
      );
    }
    return this.host.get();
  }

  /** Close its own transport (the module's shared one is the module's to close). */
  async close(): Promise<void> {
    if (this.host || !this.own) return;
    const transport = this.own;
    this.own = undefined;
    await transport.close();
  }
}
