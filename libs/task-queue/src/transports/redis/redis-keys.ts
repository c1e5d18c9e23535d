import type { ResolvedRedisBrokerOptions } from './redis-broker.options.js';

/**
 * Key names of the kombu Redis transport (docs/protocol.md#redis-keys, #redis-priorities), plus
 * Celeriac's extra keys. kombu's names are never changed except by `globalKeyprefix`,
 * exactly as kombu's own `global_keyprefix` does.
 */
export class RedisKeyspace {
  readonly unacked: string;
  readonly unackedIndex: string;
  readonly unackedMutex: string;
  /** Parked messages (ETA / notBefore), scored by due time in ms. Celeriac extra key. */
  readonly delayed: string;
  /** Entries of `delayed` by routing key (commands/includes/parked-counts.lua). Celeriac extra key. */
  readonly parkedCounts: string;
  /** Unreadable entries moved aside for inspection. Celeriac extra key. */
  readonly invalid: string;

  constructor(private readonly options: ResolvedRedisBrokerOptions) {
    const g = options.globalKeyprefix;
    this.unacked = `${g}unacked`;
    this.unackedIndex = `${g}unacked_index`;
    this.unackedMutex = `${g}unacked_mutex`;
    this.delayed = `${g}${options.keyPrefix}delayed`;
    this.parkedCounts = `${g}${options.keyPrefix}delayed.counts`;
    this.invalid = `${g}${options.keyPrefix}invalid`;
  }

  /** kombu `priority()`: the band (largest step <= priority) of a 0-9 priority. */
  band(priority: number): number {
    const steps = this.options.prioritySteps;
    let band = steps[steps.length - 1]!;
    for (const step of steps) if (step <= priority) band = step;
    return band;
  }

  /** kombu `_q_for_pri`: `queue` for band 0, otherwise `queue SEP band`. */
  listKey(queue: string, priority: number): string {
    const band = this.band(priority);
    const base = `${this.options.globalKeyprefix}${queue}`;
    return band === 0 ? base : `${base}${this.options.sep}${band}`;
  }

  /** Every priority list of a queue, highest priority (band 0) first. */
  listKeys(queue: string): string[] {
    return this.options.prioritySteps.map((step) => this.listKey(queue, step));
  }

  /** `_kombu.binding.<exchange>` (Celery's task queues: exchange = queue name). */
  bindingKey(exchange: string): string {
    return `${this.options.globalKeyprefix}_kombu.binding.${exchange}`;
  }

  /** Binding member `routing_key SEP pattern SEP queue` (pattern empty). */
  bindingMember(routingKey: string, queue: string): string {
    const sep = this.options.sep;
    return `${routingKey}${sep}${sep}${queue}`;
  }

  /**
   * kombu's direct-exchange lookup (`DirectExchange.lookup` over `get_table`): the queues of
   * the binding members `routing_key SEP pattern SEP queue` whose key is `routingKey`.
   */
  boundQueues(members: string[], routingKey: string): string[] {
    const queues = new Set<string>();
    for (const member of members) {
      const [key, , queue] = member.split(this.options.sep);
      if (key === routingKey && queue !== undefined) queues.add(queue);
    }
    return [...queues];
  }

  /** The four leading ARGV entries of every routing script (commands/includes/routing.lua). */
  routingArgs(): string[] {
    const o = this.options;
    return [o.globalKeyprefix, o.sep, o.prioritySteps.join(','), this.invalid];
  }
}

/** Clamp a priority to kombu's 0-9 range (default 0). */
export function clampPriority(priority: unknown): number {
  if (typeof priority !== 'number' || !Number.isFinite(priority)) return 0;
  return Math.min(9, Math.max(0, Math.trunc(priority)));
}
