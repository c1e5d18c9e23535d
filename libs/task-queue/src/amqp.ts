// `celeriac/amqp`: the RabbitMQ transport and the rpc:// result backend (needs the optional peer amqplib).
export { AmqpBroker } from './brokers/amqp/amqp.broker.js';
export { AmqpConnection, type AmqpConnectionOptions } from './brokers/amqp/amqp.connection.js';
export type {
  AmqpBrokerOptions,
  AmqpDelayOptions,
  AmqpQueueOptions,
  AmqpQueueType,
  AmqpReconnectOptions,
} from './brokers/amqp/amqp-broker.options.js';
export { RpcResultBackend } from './backends/rpc/rpc.result-backend.js';
export type { RpcResultBackendOptions } from './backends/rpc/rpc-result-backend.options.js';
