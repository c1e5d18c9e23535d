import type { Redis } from 'ioredis';

interface Channel {
  listeners: Set<(raw: string) => void>;
  /** The SUBSCRIBE sent for the channel's first listener. */
  subscribed: Promise<unknown>;
}

/**
 * One pub/sub connection shared by every waiter of a backend, with per-channel reference
 * counting: SUBSCRIBE on a channel's first listener, UNSUBSCRIBE after its last. After a
 * reconnect (ioredis re-subscribes by itself) `resync` is called for each channel, so a
 * result published while the connection was down, or whose publish made Redis drop it, is
 * still seen.
 */
export class RedisResultSubscriber {
  private readonly channels = new Map<string, Channel>();
  private reconnecting = false;

  constructor(
    private readonly client: Redis,
    private readonly resync: (channel: string) => void,
  ) {
    client.on('message', (channel: string, raw: string) => {
      for (const listener of [...(this.channels.get(channel)?.listeners ?? [])]) listener(raw);
    });
    // Any lost connection: Redis closes a subscriber cleanly (no 'error') when a message
    // overflows its pub/sub output buffer limit (`client-output-buffer-limit pubsub`).
    client.on('error', () => (this.reconnecting = true));
    client.on('close', () => (this.reconnecting = true));
    client.on('ready', () => {
      if (!this.reconnecting) return;
      this.reconnecting = false;
      for (const channel of this.channels.keys()) this.resync(channel);
    });
  }

  /** Listen to a channel; resolves once subscribed, with the function that stops listening. */
  async listen(channel: string, listener: (raw: string) => void): Promise<() => void> {
    let entry = this.channels.get(channel);
    if (!entry) {
      entry = { listeners: new Set(), subscribed: this.client.subscribe(channel) };
      this.channels.set(channel, entry);
    }
    entry.listeners.add(listener);
    const off = (): void => {
      const current = this.channels.get(channel);
      if (!current?.listeners.delete(listener) || current.listeners.size > 0) return;
      this.channels.delete(channel);
      void this.client.unsubscribe(channel).catch(() => undefined);
    };
    try {
      await entry.subscribed;
    } catch (error) {
      off();
      throw error;
    }
    return off;
  }

  /** Number of channels with at least one listener. */
  get size(): number {
    return this.channels.size;
  }
}
