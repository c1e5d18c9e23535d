import { Agent as HttpAgent, type IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { BrokerConnectionError } from '../../errors/broker-connection.error.js';
import type { QueueStats } from '../../contracts/queue-stats.interface.js';
import { managementQueuesPath } from './amqp-management-request.js';

interface ManagementQueue {
  name: string;
  messages_ready?: number;
  messages_unacknowledged?: number;
  consumers?: number;
  /** The AMQP `timestamp` (seconds) of the message served next, when it has one. */
  head_message_timestamp?: number | null;
}

/** `GET /api/queues/<vhost>` with pagination: one page of queues. */
interface ManagementPage {
  items: ManagementQueue[];
  filtered_count: number;
}

/**
 * Queue statistics from the RabbitMQ management HTTP API (`managementUrl`): one
 * `GET /api/queues/<vhost>` for every queue and dead-letter queue of a scrape, asking for the
 * five columns used and, by a name filter, for those queues only (see managementQueuesPath),
 * over a kept-alive connection. It also gives what AMQP cannot: `messages_unacknowledged`
 * (delivered to consumers, not yet acked). The management plugin refreshes these figures
 * every `collect_statistics_interval` (5 s by default), so they lag the queue by up to that.
 * `oldest` is the AMQP timestamp (whole seconds) of the message served next, which Celeriac's
 * brokers set to the send time; null for messages without one (Python Celery's). Still null:
 * `delayed` (parked messages wait in the shared delay ladder, not per queue).
 */
export class AmqpManagementStats {
  private readonly origin: string;
  private readonly basePath: string;
  private readonly authorization: string;
  private readonly vhost: string;
  private readonly agent: HttpAgent;
  private readonly request: typeof httpRequest;
  /** The request of the last queue list (the same list every scrape). */
  private last?: { queues: string; path: string; paged: boolean };

  constructor(
    managementUrl: string,
    amqpUrl: string,
    private readonly timeoutMs: number,
  ) {
    const base = new URL(managementUrl);
    this.authorization = `Basic ${Buffer.from(
      `${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`,
    ).toString('base64')}`;
    this.origin = base.origin;
    this.basePath = base.pathname.replace(/\/+$/, '');
    this.vhost = vhostOf(amqpUrl);
    const https = base.protocol === 'https:';
    // One connection, kept open between scrapes (RabbitMQ's web server keeps it 60 s idle).
    const agentOptions = { keepAlive: true, maxSockets: 1 };
    this.agent = https ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
    this.request = https ? httpsRequest : httpRequest;
  }

  async read(
    queues: string[],
    deadLetterQueueOf: (queue: string) => string,
  ): Promise<QueueStats[]> {
    const key = queues.join('\n');
    if (this.last?.queues !== key) {
      this.last = { queues: key, ...managementQueuesPath(this.vhost, queues, deadLetterQueueOf) };
    }
    const { path, paged } = this.last;
    let listed: ManagementQueue[];
    try {
      if (paged) {
        const page = (await this.get(path)) as ManagementPage;
        // The filter ignores case: more matches than a page holds means names differing only
        // in case filled it; the whole list is the sure answer then.
        listed =
          page.filtered_count > page.items.length
            ? ((await this.get(
                managementQueuesPath(this.vhost, [], deadLetterQueueOf).path,
              )) as ManagementQueue[])
            : page.items;
      } else {
        listed = (await this.get(path)) as ManagementQueue[];
      }
    } catch (error) {
      throw new BrokerConnectionError(
        `Could not read queue statistics from the RabbitMQ management API at ${this.origin}: ` +
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

  /** Close the kept-alive connection. */
  close(): void {
    this.agent.destroy();
  }

  /**
   * GET `path` as JSON within `timeoutMs`. A kept-alive connection the server closed just as
   * it was reused (ECONNRESET before any answer) is retried once on a new one.
   */
  private async get(path: string, retried = false): Promise<unknown> {
    try {
      return await this.getOnce(path);
    } catch (error) {
      if (!retried && (error as { reused?: boolean }).reused) return this.get(path, true);
      throw error;
    }
  }

  private getOnce(path: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const req = this.request(
        `${this.origin}${this.basePath}${path}`,
        {
          agent: this.agent,
          headers: { authorization: this.authorization, accept: 'application/json' },
        },
        (response) => {
          readJson(response).then(resolve, reject);
        },
      );
      const timer = setTimeout(
        () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      req.on('close', () => clearTimeout(timer));
      req.on('error', (error: NodeJS.ErrnoException) => {
        reject(
          req.reusedSocket && error.code === 'ECONNRESET'
            ? Object.assign(error, { reused: true })
            : error,
        );
      });
      req.end();
    });
  }
}

async function readJson(response: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks).toString('utf8');
  if (response.statusCode !== 200) {
    throw new Error(`HTTP ${response.statusCode} ${response.statusMessage ?? ''}`.trimEnd());
  }
  return JSON.parse(body) as unknown;
}

/** The vhost of an AMQP URL: its path without the slash, decoded; `/` when empty. */
function vhostOf(amqpUrl: string): string {
  const path = new URL(amqpUrl).pathname.slice(1);
  return path ? decodeURIComponent(path) : '/';
}
