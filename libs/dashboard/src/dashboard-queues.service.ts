import { BadGatewayException, Inject, Injectable } from '@nestjs/common';
import { type Broker, ControlClient, deadLetterQueueOf, getBrokerToken } from 'celeriac';
import { DASHBOARD_OPTIONS, type ResolvedDashboardOptions } from './dashboard.options.js';

/** One queue as the queues view shows it. @publicApi */
export interface QueueInfo {
  name: string;
  /** Ready messages (all priority bands). */
  ready: number;
  /** Messages parked until their ETA / countdown (null when the broker cannot list them). */
  parked: number | null;
  /** Earliest ETA among the parked ones (ISO), if any. */
  nextDue: string | null;
  /** Messages in `<queue>.dlq`. */
  deadLetters: number;
  /** Delivered and not yet acked (running and prefetched), when the broker counts them. */
  unacked: number | null;
  /** Age in ms of the oldest ready message, when the broker can tell (Celeriac stamps it). */
  oldestAge: number | null;
  /** Workers consuming it (from `inspect active_queues`). */
  consumers: string[];
}

/** A worker's pool and queues, from remote control. @publicApi */
export interface WorkerDetails {
  /** `prefork`, `threads`, `celeriac` ... (the last part of `pool.implementation`). */
  pool: string | null;
  concurrency: number | null;
  queues: string[];
}

const DISCOVERY_TTL_MS = 30_000;
const PARKED_LIMIT = 10_000;
/** Longest wait for the queue figures: past it the view says the broker did not answer. */
const QUEUES_TIMEOUT_MS = 5_000;

/**
 * Queue figures read from the broker when the view asks (nothing runs while nobody looks):
 * lengths, parked ETA messages, dead letters, and which workers consume each queue.
 */
@Injectable()
export class DashboardQueuesService {
  private discovered?: { at: number; consumers: Map<string, string[]> };

  constructor(
    @Inject(DASHBOARD_OPTIONS) private readonly options: ResolvedDashboardOptions,
    @Inject(getBrokerToken()) private readonly broker: Broker,
    private readonly control: ControlClient,
  ) {}

  /**
   * The figures of every queue; a BadGatewayException (502) naming the broker when they are not
   * all read within 5 s (a broker that hangs would otherwise hold each poll of the view for one
   * broker timeout per step). The calls still running finish in the background.
   */
  async list(): Promise<QueueInfo[]> {
    const reading = this.read();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new BadGatewayException(
              `Queue figures unavailable: the broker did not answer within ${QUEUES_TIMEOUT_MS} ms. ` +
                'Check that it is running and reachable (the worker logs say more).',
            ),
          ),
        QUEUES_TIMEOUT_MS,
      );
    });
    reading.catch(() => undefined);
    try {
      return await Promise.race([reading, timeout]);
    } catch (error) {
      if (error instanceof BadGatewayException) throw error;
      throw new BadGatewayException(`Queue figures unavailable: ${(error as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }

  private async read(): Promise<QueueInfo[]> {
    const consumers = await this.consumers();
    const names = [...new Set([...this.options.queues, ...consumers.keys()])].sort();
    const parked = this.broker.parked
      ? await this.broker.parked(names, PARKED_LIMIT).catch(() => null)
      : null;
    const stats = new Map(
      ((await this.broker.queueStats?.(names).catch(() => undefined)) ?? []).map((q) => [
        q.queue,
        q,
      ]),
    );
    const now = Date.now();
    return Promise.all(
      names.map(async (name): Promise<QueueInfo> => {
        const mine = parked?.filter((message) => message.queue === name) ?? null;
        const due = mine?.map((message) => message.due.getTime()) ?? [];
        const stat = stats.get(name);
        const oldest = stat?.oldest;
        return {
          name,
          ready: stat?.ready ?? (await this.broker.queueLength(name)),
          parked: mine ? mine.length : (stat?.delayed ?? null),
          unacked: stat?.unacked ?? null,
          oldestAge: oldest && 'sentAt' in oldest ? Math.max(0, now - oldest.sentAt) : null,
          nextDue: due.length ? new Date(Math.min(...due)).toISOString() : null,
          deadLetters: await this.broker.queueLength(deadLetterQueueOf(name)),
          consumers: consumers.get(name) ?? [],
        };
      }),
    );
  }

  /**
   * What events do not say about workers: pool and concurrency (`inspect stats`) and the queues
   * they consume (`inspect active_queues`), asked when the workers view opens.
   */
  async workerDetails(): Promise<Record<string, WorkerDetails>> {
    this.discovered = undefined;
    const [consumers, stats] = await Promise.all([
      this.consumers(),
      this.control
        .stats({ timeout: 500 })
        .catch(() => ({}) as Record<string, Record<string, unknown>>),
    ]);
    const details: Record<string, WorkerDetails> = {};
    const entry = (node: string) =>
      (details[node] ??= { pool: null, concurrency: null, queues: [] });
    for (const [queue, nodes] of consumers)
      for (const node of nodes) entry(node).queues.push(queue);
    for (const [node, reply] of Object.entries(stats)) {
      const pool = (reply as { pool?: Record<string, unknown> }).pool;
      const implementation = pool?.implementation;
      const concurrency = pool?.['max-concurrency'];
      entry(node).pool =
        typeof implementation === 'string' ? implementation.split(':').pop()! : null;
      entry(node).concurrency = typeof concurrency === 'number' ? concurrency : null;
    }
    return details;
  }

  /** Forget the discovered queues (after a worker change). */
  refresh(): void {
    this.discovered = undefined;
  }

  private async consumers(): Promise<Map<string, string[]>> {
    if (this.discovered && Date.now() - this.discovered.at < DISCOVERY_TTL_MS) {
      return this.discovered.consumers;
    }
    const replies = await this.control
      .inspect<{ name?: string }[]>('active_queues', {}, { timeout: 500 })
      .catch(() => ({}));
    const consumers = new Map<string, string[]>();
    for (const [node, queues] of Object.entries(replies)) {
      for (const queue of Array.isArray(queues) ? queues : []) {
        if (typeof queue?.name !== 'string') continue;
        consumers.set(queue.name, [...(consumers.get(queue.name) ?? []), node]);
      }
    }
    this.discovered = { at: Date.now(), consumers };
    return consumers;
  }
}
