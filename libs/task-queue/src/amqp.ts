// `celeriac/amqp`: the RabbitMQ transport and the rpc:// result backend (needs the optional peer amqplib).
export { AmqpBroker } from './transports/amqp/amqp.broker.js';
export { AmqpConnection, type AmqpConnectionOptions } from './transports/amqp/amqp.connection.js';
export type {
  AmqpBrokerOptions,
  AmqpDelayOptions,
  AmqpQueueOptions,
  AmqpQueueType,
  AmqpReconnectOptions,
} from './transports/amqp/amqp-broker.options.js';
export { RpcResultBackend } from './transports/amqp/rpc.result-backend.js';
export type { RpcResultBackendOptions } from './transports/amqp/rpc-result-backend.options.js';
