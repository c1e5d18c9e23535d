/**
 * Broker-side delays for RabbitMQ: a binary ladder of TTL queues.
 *
 * Celery keeps ETA messages unacked in worker memory (docs/protocol.md#delayed-delivery-on-rabbitmq), which
 * RabbitMQ's `consumer_timeout` (30 min) punishes by closing the channel. Celeriac parks them
 * in RabbitMQ instead, so a message waiting for hours is never held by any consumer.
 *
 * Topology, for `L` levels (default 28) of `unit` ms (default 100), prefix `celeriac.delay`:
 * - level `n` (0 ≤ n < L) is a topic exchange `celeriac.delay.<n>` and a durable queue
 *   `celeriac.delay.<n>` with `x-message-ttl = unit × 2^n` and `x-dead-letter-exchange` = the
 *   exchange of level `n − 1` (level 0 dead-letters into `celeriac.delay.deliver`);
 * - the routing key of a parked message is `b(L−1). … .b1.b0.<queue>`: the delay in units, as
 *   L binary digits, most significant first, then the target queue name;
 * - exchange `n` routes keys whose digit `n` is `1` into queue `n` (the message waits 2^n
 *   units, then dead-letters one level down with its routing key unchanged) and keys whose
 *   digit `n` is `0` straight to exchange `n − 1` (no wait);
 * - `celeriac.delay.deliver` binds `*.….*.<queue>` (exactly L digit words, so queue `b` never
 *   catches `a.b`) to each target queue; its alternate exchange keeps anything unroutable in
 *   `celeriac.delay.unroutable` rather than dropping it.
 *
 * One confirmed publish to the top exchange is enough: the message walks down the ladder and
 * waits exactly the sum of the levels of its `1` digits, the delay rounded **up** to the unit,
 * so it is never early. Every level queue has a single TTL, so its head always expires first
 * (no per-message-TTL head-of-line blocking). Delays beyond the top of the ladder, or a message
 * that arrives early anyway, are parked again by the consumer using the `x-celeriac-not-before`
 * header, before the handler sees them. Re-parking strips RabbitMQ's `x-death` headers: a
 * message that carried them through the same level twice would be dropped by RabbitMQ's
 * dead-letter cycle detection.
 *
 * The per-message `expiration` property is not carried by the parked copy (it would expire the
 * message inside the ladder); the Celery `expires` header still makes workers revoke it.
 */

/** Header carrying the due instant (ISO) of a parked message; removed before delivery. */
export const NOT_BEFORE_HEADER = 'x-celeriac-not-before';

/**
 * Headers carrying the named exchange and routing key a parked message was delivered with (a
 * task sent to an exchange, parked by the worker until its ETA): its copy comes back out of
 * the ladder with them as its delivery info, as Celery's worker, which holds an ETA task in
 * memory, keeps the delivery_info it came with. Removed before delivery.
 */
export const VIA_EXCHANGE_HEADER = 'x-celeriac-exchange';
export const VIA_ROUTING_KEY_HEADER = 'x-celeriac-routing-key';

/** The headers of a parked copy that are the ladder's, not the task's. */
export function isParkHeader(key: string): boolean {
  return key === NOT_BEFORE_HEADER || key === VIA_EXCHANGE_HEADER || key === VIA_ROUTING_KEY_HEADER;
}

/** Headers RabbitMQ adds when dead-lettering; removed before delivery and before re-parking. */
export function isBrokerDeathHeader(key: string): boolean {
  return key === 'x-death' || key.startsWith('x-first-death-') || key.startsWith('x-last-death-');
}

/** Where to publish a message so that it comes out of the ladder into its queue. */
/** How a parked copy goes out: its priority (default the message's) and the route it came by. */
export interface ParkOptions {
  priority?: number;
  /** The named exchange and routing key it was delivered with, kept for its delivery info. */
  via?: DelayRoute;
}

export interface DelayRoute {
  exchange: string;
  routingKey: string;
}

export interface DelayLadderSettings {
  unitMs: number;
  levels: number;
  prefix: string;
}

/** One declaration of the ladder: exchanges, queues, bindings. */
export interface DelayDeclarations {
  exchanges: {
    name: string;
    type: 'topic' | 'fanout';
    options: { durable: true; alternateExchange?: string };
  }[];
  queues: { name: string; arguments: Record<string, string | number> }[];
  queueBindings: { queue: string; exchange: string; pattern: string }[];
  exchangeBindings: { destination: string; source: string; pattern: string }[];
}

/** The delay ladder's names, routing keys and declarations (pure, no I/O). */
export class DelayLadder {
  readonly deliverExchange: string;
  readonly unroutableQueue: string;

  constructor(private readonly settings: DelayLadderSettings) {
    this.deliverExchange = `${settings.prefix}.deliver`;
    this.unroutableQueue = `${settings.prefix}.unroutable`;
  }

  /** Longest delay one pass through the ladder can make, ms. */
  get maxDelayMs(): number {
    return (2 ** this.settings.levels - 1) * this.settings.unitMs;
  }

  levelName(level: number): string {
    return `${this.settings.prefix}.${level}`;
  }

  /** True when `exchange` is part of the ladder (a delivery that came through it). */
  owns(exchange: string): boolean {
    return exchange === this.deliverExchange || exchange.startsWith(`${this.settings.prefix}.`);
  }

  /** Route for a delay of `remainingMs` (> 0) into `queue`. */
  route(queue: string, remainingMs: number): DelayRoute {
    const { unitMs, levels } = this.settings;
    const units = Math.min(2 ** levels - 1, Math.max(1, Math.ceil(remainingMs / unitMs)));
    const digits = units.toString(2).padStart(levels, '0').split('').join('.');
    return { exchange: this.levelName(levels - 1), routingKey: `${digits}.${queue}` };
  }

  /** Whether `queue` can be a delay target (topic routing key limits). */
  accepts(queue: string): boolean {
    return !/[*#]/.test(queue) && Buffer.byteLength(queue) + this.settings.levels * 2 <= 255;
  }

  /** Binding that takes messages out of the ladder into `queue`. */
  targetBinding(queue: string): { queue: string; exchange: string; pattern: string } {
    const pattern = [...Array<string>(this.settings.levels).fill('*'), queue].join('.');
    return { queue, exchange: this.deliverExchange, pattern };
  }

  declarations(): DelayDeclarations {
    const { levels, unitMs } = this.settings;
    const unroutableExchange = this.unroutableQueue;
    const result: DelayDeclarations = {
      exchanges: [
        { name: unroutableExchange, type: 'fanout', options: { durable: true } },
        {
          name: this.deliverExchange,
          type: 'topic',
          options: { durable: true, alternateExchange: unroutableExchange },
        },
      ],
      queues: [{ name: this.unroutableQueue, arguments: {} }],
      queueBindings: [{ queue: this.unroutableQueue, exchange: unroutableExchange, pattern: '#' }],
      exchangeBindings: [],
    };
    for (let level = 0; level < levels; level++) {
      const name = this.levelName(level);
      const below = level === 0 ? this.deliverExchange : this.levelName(level - 1);
      const prefix = Array<string>(levels - 1 - level).fill('*');
      result.exchanges.push({ name, type: 'topic', options: { durable: true } });
      result.queues.push({
        name,
        arguments: { 'x-message-ttl': unitMs * 2 ** level, 'x-dead-letter-exchange': below },
      });
      result.queueBindings.push({
        queue: name,
        exchange: name,
        pattern: [...prefix, '1', '#'].join('.'),
      });
      result.exchangeBindings.push({
        destination: below,
        source: name,
        pattern: [...prefix, '0', '#'].join('.'),
      });
    }
    return result;
  }
}
