import type { AmqpConnection } from './amqp.connection.js';

/** Options of {@link RpcResultBackend}. @publicApi */
export interface RpcResultBackendOptions {
  /**
   * Share a connection, typically `AmqpBroker.connection`, instead of opening one. A shared
   * connection is not closed by the backend's `close()`.
   */
  connection?: AmqpConnection;
  /**
   * Name of this process's reply queue, sent as `reply_to` with every task. Default: a fresh
   * uuid4 (Celery uses the app's uuid3 `thread_oid`; any unique name works).
   */
  replyQueue?: string;
  /**
   * `x-expires` of the reply queue, ms: RabbitMQ deletes it after this long without a consumer.
   * Default 86 400 000 (Celery's `result_expires`, one day).
   */
  expiresMs?: number;
  /** Publish results with delivery_mode 2 (Celery's `result_persistent`). Default false (mode 1). */
  persistent?: boolean;
  /** How long a worker's `store` may wait for the connection and the confirm, ms. Default 10 000. */
  publishTimeout?: number;
  /** Results kept in memory for `get` / `waitForReady`; the oldest go first. Default 100 000. */
  maxResults?: number;
  /** Connection name shown by RabbitMQ when the backend opens its own connection. */
  connectionName?: string;
}
