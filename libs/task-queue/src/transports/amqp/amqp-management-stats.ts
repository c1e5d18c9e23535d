import { BrokerConnectionError } from '../../errors/broker-connection.error.js';
import type { QueueStats } from '../../contracts/queue-stats.interface.js';

/** The columns of `GET /api/queues/<vhost>` the statistics need. */
const COLUMNS = 'name,messages_ready,messages_unacknowledged,consumers,head_message_timestamp';

interface ManagementQueue {
  name: string;
  messages_ready?: number;
  messages_unacknowledged?: number;
  consumers?: number;
  /** The AMQP `timestamp` (seconds) of the message served next, when it has one. */
  head_message_timestamp?: number | null;
}

/**
 * Queue statistics from the RabbitMQ management HTTP API (`managementUrl`): one
 * `GET /api/queues/<vhost>` for every queue and dead-letter queue of a scrape, which also
 * gives what AMQP cannot: `messages_unacknowledged` (delivered to consumers, not yet acked).
 * The management plugin refreshes these figures every `collect_statistics_interval` (5 s by
 * default), so they lag the queue by up to that. `oldest` is the AMQP timestamp (whole
 * seconds) of the message served next, which Celeriac's brokers set to the send time; null
 * for messages without one (Python Celery's). Still null: `delayed` (parked messages wait in
 * the shared delay ladder, not per queue).
 */
export async function readManagementQueueStats(
  managementUrl: string,
  amqpUrl: string,
  queues: string[],
  deadLetterQueueOf: (queue: string) => string,
  timeoutMs: number,
): Promise<QueueStats[]> {
  const base = new URL(managementUrl);
  const auth = Buffer.from(
    `${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`,
  ).toString('base64');
  base.username = '';
  base.password = '';
  const url = new URL(`api/queues/${encodeURIComponent(vhostOf(amqpUrl))}`, withSlash(base));
  url.searchParams.set('columns', COLUMNS);
  let listed: ManagementQueue[];
  try {
    const response = await fetch(url, {
      headers: { authorization: `Basic ${auth}` },
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) {
      throw new Error(`HTTP ${response.status} ${response.statusText}`);
    }
    listed = (await response.json()) as ManagementQueue[];
  } catch (error) {
    throw new BrokerConnectionError(
      `Could not read queue statistics from the RabbitMQ management API at ${url.origin}: ` +
        `${(error as Error).message}. Check that the management plugin is enabled ` +
        `(rabbitmq-plugins enable rabbitmq_management) and that the user in managementUrl may ` +
        `read the vhost (management or monitoring tag).`,
    );
  }
  const byName = new Map(listed.map((queue) => [queue.name, queue]));
  return queues.map((queue) => {
    const main = byName.get(queue);
    const head = main?.head_message_timestamp;
    const ready = main?.messages_ready ?? 0;
    return {
      queue,
      ready,
      unacked: main?.messages_unacknowledged ?? 0,
      delayed: null,
      deadLetters: byName.get(deadLetterQueueOf(queue))?.messages_ready ?? 0,
      consumers: main?.consumers ?? 0,
      oldest: ready > 0 && typeof head === 'number' ? { sentAt: head * 1000 } : null,
    };
  });
}

/** The vhost of an AMQP URL: its path without the slash, decoded; `/` when empty. */
function vhostOf(amqpUrl: string): string {
  const path = new URL(amqpUrl).pathname.slice(1);
  return path ? decodeURIComponent(path) : '/';
}

function withSlash(url: URL): URL {
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}
