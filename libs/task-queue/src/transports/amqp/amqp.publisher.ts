import { type ChannelModel, type ConfirmChannel } from 'amqplib';
import { BrokerConnectionError } from '../../errors/broker-connection.error.js';
import { MessageTooLargeError } from '../../errors/message-too-large.error.js';
import { PublishOutcomeUnknownError } from '../../errors/publish-outcome-unknown.error.js';
import { TaskQueueError } from '../../errors/task-queue.error.js';
import { ConfirmDeadlines, sweepPeriod } from './amqp-confirm.deadlines.js';
import { AmqpReturns } from './amqp-returns.js';
import { recordCloseError, refusedAsTooLarge } from './amqp-size-refusal.js';
import { typeAmqpTableInPlace } from './amqp-field-table.js';
import { type AmqpOutgoing } from './amqp-message.codec.js';
import type { AmqpConnection } from './amqp.connection.js';
import { errorText } from '../../utils/error-text.js';
import { AmqpMessages } from './amqp.messages.js';

/** Where one publish goes. */
export interface PublishTarget {
  exchange: string;
  routingKey: string;
  /**
   * Publish as mandatory: when no queue takes the message (the queue was deleted after it was
   * declared), RabbitMQ returns it instead of dropping it; this is called (forget the
   * declarations) and the publish is tried once more, then fails with BrokerConnectionError.
   */
  unroutable?: () => void;
}

export interface AmqpPublisherOptions {
  publishTimeout: number;
  whenDisconnected: 'wait' | 'fail';
}

/** Error of a publish whose channel went away (before or after the message was written). */
class ChannelGoneError extends Error {}

/** A mandatory publish that RabbitMQ returned: no queue took it, nothing was stored. */
class UnroutableError extends Error {
  constructor(readonly target: PublishTarget) {
    super('returned unroutable');
  }
}

/** Whether any attempt of one publish has handed the message to amqplib. */
interface Attempts {
  /** Copies handed to amqplib so far. */
  written: number;
  /** RabbitMQ nacked the last copy: that one is definitely not stored. */
  nacked: boolean;
}

/**
 * Confirmed publishes over one confirm channel per connection. A publish resolves once
 * RabbitMQ confirmed it (stored, and fsynced for persistent messages on durable queues). When
 * the connection is down it waits for the reconnect up to `publishTimeout`, or fails at once
 * with `whenDisconnected: 'fail'`; a publish cut off by a connection loss before its confirm is
 * sent again after the reconnect (at-least-once: a rare duplicate, never a silent loss).
 *
 * A failure is a {@link PublishOutcomeUnknownError} once an attempt has written the message
 * (RabbitMQ may have stored it: a retry must reuse the task id), and a plain
 * BrokerConnectionError when nothing was written. A nack is a definite refusal.
 */
export class AmqpPublisher {
  private model: ChannelModel | undefined;
  private channel: Promise<ConfirmChannel> | undefined;
  /** The confirm channel of `model` once open (publishes then need no await to reach it). */
  private ready: ConfirmChannel | undefined;
  private readonly deadlines: ConfirmDeadlines;
  private readonly returns = new AmqpReturns();

  constructor(
    private readonly connection: AmqpConnection,
    private readonly options: AmqpPublisherOptions,
  ) {
    this.deadlines = new ConfirmDeadlines(sweepPeriod(options.publishTimeout));
  }

  /**
   * Publish, declaring what is needed first with `prepare` (run on every attempt, against the
   * live connection; it returns the target directly when nothing needs declaring). `label`
   * names the destination in errors.
   */
  async publish(
    label: string,
    outgoing: AmqpOutgoing,
    prepare: (model: ChannelModel) => PublishTarget | Promise<PublishTarget>,
  ): Promise<void> {
    const deadline = Date.now() + this.options.publishTimeout;
    const attempts: Attempts = { written: 0, nacked: false };
    let returned = false;
    for (;;) {
      try {
        const model = this.connection.current ?? (await this.liveModel(label, deadline));
        return await this.attempt(model, prepare, outgoing, label, deadline, attempts);
      } catch (error) {
        if (error instanceof UnroutableError) {
          error.target.unroutable?.();
          if (returned || Date.now() >= deadline) {
            throw new BrokerConnectionError(AmqpMessages.publishUnroutable(label));
          }
          returned = true;
          continue;
        }
        const retry =
          error instanceof ChannelGoneError &&
          this.options.whenDisconnected === 'wait' &&
          Date.now() < deadline;
        if (retry) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          continue;
        }
        throw this.failure(label, error, attempts);
      }
    }
  }

  /** The error of a failed publish: outcome unknown once a copy was written, else not sent. */
  private failure(label: string, error: unknown, attempts: Attempts): Error {
    if (error instanceof PublishOutcomeUnknownError) return error;
    if (attempts.written > (attempts.nacked ? 1 : 0)) {
      const why =
        error instanceof ChannelGoneError
          ? `its channel closed before RabbitMQ confirmed it (${errorText(error)})`
          : `the connection was lost before RabbitMQ confirmed it, and did not come back ` +
            `within ${this.options.publishTimeout} ms to send it again`;
      return new PublishOutcomeUnknownError(AmqpMessages.publishOutcomeUnknown(label, why), {
        cause: error,
      });
    }
    if (error instanceof TaskQueueError) return error;
    return new BrokerConnectionError(`Publish to "${label}" failed: ${errorText(error)}`, {
      cause: error,
    });
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

  /**
   * One attempt: declare (`prepare`), open the confirm channel, publish, wait for the confirm,
   * all within the deadline. A deadline reached before the message was written fails with
   * "nothing was sent" (and the message is then never written); after, the outcome is unknown.
   */
  private attempt(
    model: ChannelModel,
    prepare: (model: ChannelModel) => PublishTarget | Promise<PublishTarget>,
    outgoing: AmqpOutgoing,
    label: string,
    deadline: number,
    attempts: Attempts,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let expired = false;
      const written = attempts.written;
      const wait = this.deadlines.add(Math.max(deadline, Date.now() + 1), () => {
        expired = true;
        const ms = this.options.publishTimeout;
        reject(
          attempts.written > written
            ? new PublishOutcomeUnknownError(
                AmqpMessages.publishTimedOut(label, ms, true, this.connection.blockedReason),
              )
            : new BrokerConnectionError(AmqpMessages.noAnswerBeforePublish(label, ms)),
        );
      });
      const fail = (error: unknown): void => {
        this.deadlines.remove(wait);
        reject(error);
      };
      // Awaits only what is not ready: a publish to a declared queue on an open channel is
      // written in this turn.
      void (async () => {
        const prepared = prepare(model);
        const target = prepared instanceof Promise ? await prepared : prepared;
        const channel =
          (this.model === model ? this.ready : undefined) ?? (await this.confirmChannel(model));
        if (expired) return;
        const done = (): void => {
          this.deadlines.remove(wait);
          resolve();
        };
        this.write(channel, model, target, outgoing, label, attempts, done, fail);
      })().catch(fail);
    });
  }

  /** Hand the message to amqplib; `settle` hears RabbitMQ's confirm (or nack). */
  private write(
    channel: ConfirmChannel,
    model: ChannelModel,
    target: PublishTarget,
    outgoing: AmqpOutgoing,
    label: string,
    attempts: Attempts,
    resolve: () => void,
    fail: (error: unknown) => void,
  ): void {
    // The one place broker and rpc-backend headers reach amqplib: integers typed for py-amqp.
    typeAmqpTableInPlace(outgoing.options.headers as Record<string, unknown> | undefined);
    const mandatory = target.unroutable !== undefined;
    const settle = (error: unknown): void => {
      if (!error) {
        if (!mandatory) return resolve();
        if (!this.returns.take(channel, target.exchange, target.routingKey, outgoing.content)) {
          return resolve();
        }
        attempts.written--; // returned: this copy is definitely not stored
        return fail(new UnroutableError(target));
      }
      const max = refusedAsTooLarge(channel, outgoing.content.length);
      if (max !== undefined) {
        attempts.written--; // refused: this copy is definitely not stored
        const size = outgoing.content.length;
        return fail(
          new MessageTooLargeError(AmqpMessages.publishTooLarge(label, size, max), size, max),
        );
      }
      const gone =
        !this.connection.isConnected || this.connection.current !== model || isClosedError(error);
      if (!gone) attempts.nacked = true;
      fail(
        gone
          ? new ChannelGoneError(errorText(error))
          : new BrokerConnectionError(AmqpMessages.publishNacked(label)),
      );
    };
    try {
      attempts.written++;
      outgoing.options.mandatory = mandatory; // the options belong to this one publish
      channel.publish(
        target.exchange,
        target.routingKey,
        outgoing.content,
        outgoing.options,
        settle,
      );
    } catch (error) {
      attempts.written--; // amqplib refused it synchronously: nothing went out
      fail(isClosedError(error) ? new ChannelGoneError(errorText(error)) : error);
    }
  }

  private confirmChannel(model: ChannelModel): Promise<ConfirmChannel> {
    if (this.model !== model || !this.channel) {
      this.model = model;
      this.ready = undefined;
      const opening = model.createConfirmChannel().then((ch) => {
        ch.on('error', (error: unknown) => recordCloseError(ch, error));
        this.returns.watch(ch);
        ch.once('close', () => {
          if (this.ready === ch) this.ready = undefined;
          if (this.channel === opening) this.channel = undefined;
        });
        if (this.channel === opening) this.ready = ch;
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
