import { type Channel, type ChannelModel } from 'amqplib';
import { BrokerConnectionError } from '../../errors/broker-connection.error.js';
import { ConfigurationError } from '../../errors/configuration.error.js';
import { errorText } from '../../utils/error-text.js';
import { AmqpMessages } from './amqp.messages.js';

/** AMQP reply code of a declaration that contradicts the existing object. */
export const PRECONDITION_FAILED = 406;

/**
 * Runs each named declaration once per connection, on one shared declaration channel: a
 * declaration in flight is shared by its callers, a failed one is tried again on next use, and a
 * new connection (or `reset()`) forgets them all. What to declare is AmqpTopology's.
 */
export class AmqpDeclarations {
  private readonly done = new Map<string, Promise<void>>();
  /** The keys of `done` whose declaration has succeeded on the current connection. */
  private readonly declared = new Set<string>();
  private model: ChannelModel | undefined;
  private channel: Promise<Channel> | undefined;

  /** Run `declare` for `key` unless it already ran (or is running) on `model`. */
  once(model: ChannelModel, key: string, declare: (ch: Channel) => Promise<void>): Promise<void> {
    if (this.model !== model) {
      this.reset();
      this.model = model;
    }
    let pending = this.done.get(key);
    if (!pending) {
      const declaring = this.declareWith(model, key, declare);
      pending = declaring;
      this.done.set(key, declaring);
      declaring.then(
        () => this.done.get(key) === declaring && this.declared.add(key),
        () => this.done.get(key) === declaring && this.done.delete(key),
      );
    }
    return pending;
  }

  /** True once `key`'s declaration has succeeded on `model` (no await needed). */
  isDeclared(model: ChannelModel, key: string): boolean {
    return this.model === model && this.declared.has(key);
  }

  /** Declare `key` again on its next use (its declaration changed). */
  forget(key: string): void {
    this.done.delete(key);
    this.declared.delete(key);
  }

  /** Forget every declaration and the channel (the objects may have been deleted). */
  reset(): void {
    this.done.clear();
    this.declared.clear();
    this.model = undefined;
    this.channel = undefined;
  }

  /** The shared declaration channel of `model`, opened when none is open. */
  channelFor(model: ChannelModel): Promise<Channel> {
    if (!this.channel) {
      const opening = model.createChannel().then((ch) => {
        ch.on('error', () => undefined);
        ch.once('close', () => this.channel === opening && (this.channel = undefined));
        return ch;
      });
      opening.catch(() => this.channel === opening && (this.channel = undefined));
      this.channel = opening;
    }
    return this.channel;
  }

  /** The shared channel was closed by a refused declaration: open another on next use. */
  dropChannel(): void {
    this.channel = undefined;
  }

  private async declareWith(
    model: ChannelModel,
    key: string,
    declare: (ch: Channel) => Promise<void>,
  ): Promise<void> {
    // NOTE: declarations share one channel; when another declaration fails on it (a passive
    // check of a missing queue, say), RabbitMQ closes it under this one ("Channel ended"). Such
    // a failure is retried on a fresh channel; a PRECONDITION_FAILED mismatch is not.
    for (let attempt = 1; ; attempt++) {
      try {
        await declare(await this.channelFor(model));
        return;
      } catch (error) {
        this.channel = undefined;
        if ((error as { code?: number }).code === PRECONDITION_FAILED) {
          throw new ConfigurationError(AmqpMessages.declarationMismatch(key, errorText(error)), {
            cause: error,
          });
        }
        if (attempt < 3 && model === this.model) continue;
        throw new BrokerConnectionError(
          `Could not declare ${key} on RabbitMQ: ${errorText(error)}`,
          { cause: error },
        );
      }
    }
  }
}
