import { SENT_AT_HEADER } from '../../contracts/queue-stats.interface.js';
import type { TaskMessage } from '../../contracts/task-message.interface.js';
import { encodeAmqpMessage, viaHeaders } from './amqp-message.codec.js';
import { type DelayLadder, NOT_BEFORE_HEADER, type ParkOptions } from './amqp.delay.js';
import type { AmqpPublisher } from './amqp.publisher.js';
import type { AmqpTopology } from './amqp.topology.js';

/** What to do when a settlement comes back unroutable (a queue was deleted under us). */
export interface SettlementRoutes {
  /** `<queue>.dlq` is gone. */
  queueGone(queue: string): void;
  /** A queue of the delay ladder is gone. */
  ladderGone(): void;
}

/**
 * The copies the broker publishes to settle a message instead of delivering it now: a park
 * into the delay ladder (delivered to its queue when due) and a dead-lettering into
 * `<queue>.dlq`. Both are confirmed publishes; `drained()` lets the broker's close wait for
 * those in flight.
 */
export class AmqpSettlements {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly publisher: AmqpPublisher,
    private readonly topology: AmqpTopology,
    private readonly ladder: DelayLadder,
    private readonly routes: SettlementRoutes,
  ) {}

  /**
   * Publish (confirmed) a copy into the delay ladder, delivered to `queue` at `until` with
   * `via` (the named exchange and routing key it was delivered with) as its delivery info.
   */
  park(message: TaskMessage, queue: string, until: Date, options?: ParkOptions): Promise<void> {
    return this.track(this.publishParked(message, queue, until, options));
  }

  /** Publish (confirmed) a rejected message into `<queue>.dlq`. */
  deadLetter(message: TaskMessage, queue: string): Promise<void> {
    return this.track(this.publishDeadLetter(message, queue));
  }

  /** Resolves once every settlement in flight is done, whatever its outcome. */
  async drained(): Promise<void> {
    await Promise.all(this.inFlight);
  }

  /** Track a settlement in flight until it is done. */
  private track(work: Promise<void>): Promise<void> {
    const done = work.then(
      () => undefined,
      () => undefined,
    );
    this.inFlight.add(done);
    void done.then(() => this.inFlight.delete(done));
    return work;
  }

  private async publishDeadLetter(message: TaskMessage, queue: string): Promise<void> {
    const dlq = this.topology.deadLetterQueue(queue);
    const outgoing = encodeAmqpMessage(message, message.properties.priority, {
      'x-celeriac-rejected-from': queue,
      'x-celeriac-rejected-at': new Date().toISOString(),
      [SENT_AT_HEADER]: Date.now(),
    });
    await this.publisher.publish(dlq, outgoing, async (model) => {
      await this.topology.ensureDeadLetterQueue(model, queue);
      return { exchange: '', routingKey: dlq, unroutable: () => this.routes.queueGone(dlq) };
    });
  }

  private async publishParked(
    message: TaskMessage,
    queue: string,
    until: Date,
    { priority, via }: ParkOptions = {},
  ): Promise<void> {
    const outgoing = encodeAmqpMessage(
      message,
      priority ?? message.properties.priority,
      {
        [NOT_BEFORE_HEADER]: until.toISOString(),
        [SENT_AT_HEADER]: until.getTime(),
        ...viaHeaders(via),
      },
      false,
    );
    await this.publisher.publish(queue, outgoing, async (model) => {
      await this.topology.ensureDelayTarget(model, queue);
      const route = this.ladder.route(queue, until.getTime() - Date.now());
      // Mandatory, like any publish: a deleted ladder queue returns the message (declare the
      // ladder again and resend) instead of RabbitMQ dropping it unseen.
      return { ...route, unroutable: () => this.routes.ladderGone() };
    });
  }
}
