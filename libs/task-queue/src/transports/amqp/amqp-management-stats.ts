import { BrokerConnectionError } from '../../errors/broker-connection.error.js';
import type { QueueStats } from '../../contracts/queue-stats.interface.js';

/** The columns of `GET /api/queues/<vhost>` the statistics need. */
const COLUMNS = 'name,messages_ready,messages_unacknowledged,consumers';

interface ManagementQueue {
  name: string;
  messages_ready?: number;
  messages_unacknowledged?: number;
  consumers?: number;
}

/**
 * Queue statistics from the RabbitMQ management HTTP API (`managementUrl`): one
 * `GET /api/queues/<vhost>` for every queue and dead-letter queue of a scrape, which also
 * gives what AMQP cannot: `messages_unacknowledged` (delivered to consumers, not yet acked).
 * The management plugin refreshes these figures every `collect_statistics_interval` (5 s by
 * default), so they lag the queue by up to that. Still null: `delayed` (parked messages wait
 * in the shared delay ladder, not per queue) and `oldest` (the API cannot read a queue's head
 * without taking it).
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
    return {
      queue,
      ready: main?.messages_ready ?? 0,
      unacked: main?.messages_unacknowledged ?? 0,
      delayed: null,
      deadLetters: byName.get(deadLetterQueueOf(queue))?.messages_ready ?? 0,
      consumers: main?.consumers ?? 0,
      oldest: null,
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
