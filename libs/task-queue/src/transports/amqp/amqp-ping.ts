import type { ChannelModel } from 'amqplib';
import { BrokerConnectionError } from '../../errors/broker-connection.error.js';
import { SharedCall, withTimeout } from '../../utils/with-timeout.js';
import { AmqpMessages } from './amqp.messages.js';

/** Longest wait for RabbitMQ's answer to a health ping (as Redis's PING). */
export const AMQP_PING_TIMEOUT_MS = 1_000;

/**
 * A round trip on the live connection (open and close a channel) within `timeoutMs`: a
 * connection that is open but unanswered (a hung broker, a partition) fails the ping at once,
 * not when the heartbeat declares it dead minutes later. One round trip at a time: pings during
 * a hang wait on the one in flight instead of stacking channel opens.
 */
export class AmqpPing {
  private readonly roundTrip = new SharedCall<void>();

  constructor(
    private readonly url: string,
    private readonly timeoutMs = AMQP_PING_TIMEOUT_MS,
  ) {}

  ping(model: ChannelModel | undefined): Promise<void> {
    if (!model) return Promise.reject(new BrokerConnectionError(AmqpMessages.notConnected()));
    return withTimeout(
      this.roundTrip.run(() => model.createChannel().then((channel) => channel.close())),
      this.timeoutMs,
      () => new BrokerConnectionError(AmqpMessages.noAnswer(this.url, this.timeoutMs)),
    );
  }
}
