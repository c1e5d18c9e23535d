import { type ChannelModel, type ConfirmChannel } from 'amqplib';
import { BrokerConnectionError } from '../../errors/broker-connection.error.js';
import { TaskQueueError } from '../../errors/task-queue.error.js';
import { ConfirmDeadlines, sweepPeriod } from './amqp-confirm.deadlines.js';
import { typeAmqpTableInPlace } from './amqp-field-table.js';
import { type AmqpOutgoing } from './amqp-message.codec.js';
import { type AmqpConnection, errorText } from './amqp.connection.js';
import { AmqpMessages } from './amqp.messages.js';

/** Where one publish goes. */
export interface PublishTarget {
  exchange: string;
  routingKey: string;
}

export interface AmqpPublisherOptions {
  publishTimeout: number;
  whenDisconnected: 'wait' | 'fail';
}

/** Error of a publish that never reached RabbitMQ because the channel went away. */
class ChannelGoneError extends Error {}

/**
 * Confirmed publishes over one confirm channel per connection. A publish resolves once
 * RabbitMQ confirmed it (stored, and fsynced for persistent messages on durable queues). When
 * the connection is down it waits for the reconnect up to `publishTimeout`, or fails at once
 * with `whenDisconnected: 'fail'`; a publish cut off by a connection loss before its confirm is
 * sent again after the reconnect (at-least-once: a rare duplicate, never a silent loss).
 */
export class AmqpPublisher {
  private model: ChannelModel | undefined;
  private channel: Promise<ConfirmChannel> | undefined;
  private readonly deadlines: ConfirmDeadlines;

  constructor(
    private readonly connection: AmqpConnection,
    private readonly options: AmqpPublisherOptions,
  ) {
    this.deadlines = new ConfirmDeadlines(sweepPeriod(options.publishTimeout));
  }

  /**
   * Publish, declaring what is needed first with `prepare` (run on every attempt, against the
   * live connection). `label` names the destination in errors.
   */
  async publish(
    label: string,
    outgoing: AmqpOutgoing,
    prepare: (model: ChannelModel) => Promise<PublishTarget>,
  ): Promise<void> {
    const deadline = Date.now() + this.options.publishTimeout;
    for (;;) {
      const model = await this.liveModel(label, deadline);
      const target = await prepare(model);
      try {
        return await this.confirm(model, target, outgoing, label, deadline);
      } catch (error) {
        const retry =
          error instanceof ChannelGoneError &&
          this.options.whenDisconnected === 'wait' &&
          Date.now() < deadline;
        if (retry) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          continue;
        }
        if (error instanceof TaskQueueError) throw error;
        throw new BrokerConnectionError(`Publish to "${label}" failed: ${errorText(error)}`, {
          cause: error,
        });
      }
    }
  }

  private async liveModel(label: string, deadline: number): Promise<ChannelModel> {
    const model = this.connection.current;
    if (model) return model;
    if (this.connection.isClosed) throw new BrokerConnectionError(AmqpMessages.closed());
    if (this.options.whenDisconnected === 'fail') {
      throw new BrokerConnectionError(AmqpMessages.disconnectedFail(label));
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0)
      throw new BrokerConnectionError(
        AmqpMessages.publishTimedOut(label, this.options.publishTimeout, false),
      );
    try {
      return await this.connection.waitConnected(remaining);
    } catch (error) {
      if (this.connection.isClosed) throw error;
      throw new BrokerConnectionError(
        AmqpMessages.publishTimedOut(label, this.options.publishTimeout, false),
        {
          cause: error,
        },
      );
    }
  }

  private async confirm(
    model: ChannelModel,
    target: PublishTarget,
    outgoing: AmqpOutgoing,
    label: string,
    deadline: number,
  ): Promise<void> {
    const channel = await this.confirmChannel(model);
    // The one place broker and rpc-backend headers reach amqplib: integers typed for py-amqp.
    typeAmqpTableInPlace(outgoing.options.headers as Record<string, unknown> | undefined);
    await new Promise<void>((resolve, reject) => {
      const wait = this.deadlines.add(Math.max(deadline, Date.now() + 1), () =>
        reject(
          new BrokerConnectionError(
            AmqpMessages.publishTimedOut(label, this.options.publishTimeout, true),
          ),
        ),
      );
      const settle = (error: unknown): void => {
        this.deadlines.remove(wait);
        if (!error) return resolve();
        const gone =
          !this.connection.isConnected || this.connection.current !== model || isClosedError(error);
        reject(
          gone
            ? new ChannelGoneError(errorText(error))
            : new BrokerConnectionError(AmqpMessages.publishNacked(label)),
        );
      };
      try {
        channel.publish(
          target.exchange,
          target.routingKey,
          outgoing.content,
          outgoing.options,
          settle,
        );
      } catch (error) {
        this.deadlines.remove(wait);
        reject(isClosedError(error) ? new ChannelGoneError(errorText(error)) : error);
      }
    });
  }

  private confirmChannel(model: ChannelModel): Promise<ConfirmChannel> {
    if (this.model !== model || !this.channel) {
      this.model = model;
      const opening = model.createConfirmChannel().then((ch) => {
        ch.on('error', () => undefined);
        ch.once('close', () => this.channel === opening && (this.channel = undefined));
        return ch;
      });
      opening.catch(() => this.channel === opening && (this.channel = undefined));
      this.channel = opening;
    }
    return this.channel.catch((error: unknown) => {
      throw new ChannelGoneError(errorText(error));
    });
  }
}

function isClosedError(error: unknown): boolean {
  const text = errorText(error).toLowerCase();
  return (
    (error instanceof Error && error.name === 'IllegalOperationError') ||
    text.includes('closed') ||
    text.includes('connection')
  );
}
