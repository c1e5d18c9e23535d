import type { Channel, ChannelModel } from 'amqplib';

/**
 * Channels kept open between reads of queue statistics, so a read does not open and close
 * its channels each time (two RPCs each). A read takes channels and gives back those still
 * open; a channel the broker closed (a passive declare of a missing queue: 404) leaves the
 * pool, and the next read opens another. Channels of a connection that is gone are dropped.
 * At most `size` channels wait idle; reads at the same time open more, closed when given back.
 */
export class StatsChannelPool {
  private model: ChannelModel | undefined;
  private idle: Channel[] = [];
  /** Channels the broker or the connection closed. */
  private readonly closed = new WeakSet<Channel>();

  constructor(readonly size: number) {}

  /** An open channel on `model`: an idle one, or a new one. */
  async take(model: ChannelModel): Promise<Channel> {
    if (model !== this.model) this.switchTo(model);
    for (let channel = this.idle.pop(); channel; channel = this.idle.pop()) {
      if (!this.closed.has(channel)) return channel;
    }
    const channel = await model.createChannel();
    channel.on('error', () => undefined);
    channel.once('close', () => this.closed.add(channel));
    return channel;
  }

  /** Give back a channel taken on `model`: kept while open, of the current model, with room. */
  give(model: ChannelModel, channel: Channel): void {
    if (this.closed.has(channel)) return;
    if (model === this.model && this.idle.length < this.size) this.idle.push(channel);
    else void channel.close().catch(() => undefined);
  }

  /** A new connection: the old one's channels are gone with it. */
  private switchTo(model: ChannelModel): void {
    this.idle = [];
    this.model = model;
  }
}
