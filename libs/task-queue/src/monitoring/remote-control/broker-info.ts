import type { Broker } from '../../contracts/broker.interface.js';

/**
 * The `broker` dict of `inspect stats` (docs/protocol.md#control-commands), which Flower requires, built from the broker
 * URL (or the instance's URL when it has one).
 */
export function brokerInfo(configured: string | Broker, broker: Broker): Record<string, unknown> {
  const url = typeof configured === 'string' ? configured : urlOf(broker);
  let parsed: URL | undefined;
  try {
    parsed = url ? new URL(url) : undefined;
  } catch {
    parsed = undefined;
  }
  const transport = broker.transport;
  const path = parsed ? decodeURIComponent(parsed.pathname.replace(/^\//, '')) : '';
  return {
    hostname: parsed?.hostname || (transport === 'memory' ? 'localhost' : '127.0.0.1'),
    userid: parsed?.username ? decodeURIComponent(parsed.username) : null,
    virtual_host: path || (transport === 'amqp' ? '/' : '0'),
    port: parsed?.port ? Number(parsed.port) : defaultPort(transport),
    insist: false,
    ssl: parsed?.protocol === 'rediss:' || parsed?.protocol === 'amqps:',
    transport: transport === 'amqp' ? 'amqp' : transport,
    connect_timeout: 4,
    transport_options: {},
    login_method: transport === 'amqp' ? 'PLAIN' : null,
    uri_prefix: null,
    heartbeat: 120.0,
    failover_strategy: 'round-robin',
    alternates: [],
  };
}

function urlOf(broker: Broker): string | undefined {
  if (broker.wrapped) return urlOf(broker.wrapped);
  return 'url' in broker && typeof broker.url === 'string' ? broker.url : undefined;
}

function defaultPort(transport: string): number | null {
  if (transport === 'redis') return 6379;
  if (transport === 'amqp') return 5672;
  return null;
}
