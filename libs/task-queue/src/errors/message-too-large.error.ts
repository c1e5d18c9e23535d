import { BrokerConnectionError } from './broker-connection.error.js';
import { UnserializableValueError } from './unserializable-value.error.js';

/**
 * The broker or result backend refused a message for its size (RabbitMQ's `max_message_size`,
 * a database's `max_allowed_packet`): nothing was stored, and sending the same message again
 * fails the same way. @publicApi
 */
export class MessageTooLargeError extends BrokerConnectionError {
  constructor(
    message: string,
    /** The message's size in bytes. */
    readonly size: number,
    /** The broker's limit in bytes. */
    readonly limit: number,
  ) {
    super(message);
  }
}

/**
 * A task's return value that the result backend refused for its size (an `rpc://` reply above
 * RabbitMQ's `max_message_size`): the task fails with it, once, instead of being retried as if
 * the backend were down. An UnserializableValueError: the value cannot be stored. @publicApi
 */
export class ResultTooLargeError extends UnserializableValueError {
  constructor(refusal: MessageTooLargeError) {
    super('result', refusal.message, '$');
    this.message =
      `The result (${refusal.size} bytes) is too large for the result backend: ` +
      `${refusal.message}`;
  }
}
