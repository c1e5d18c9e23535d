import type { Delivery } from '../contracts/broker.interface.js';
import type { TaskRequest } from '../protocol/task-request.js';

/** Called once per task whose background ack failed. */
export type AckFailed = (delivery: Delivery, request: TaskRequest, error: Error) => void;

/** Tasks whose acks share one promise, and that promise. */
interface AckGroup {
  promise: Promise<void>;
  deliveries: Delivery[];
  requests: TaskRequest[];
}

/**
 * Acks that nobody waits for, each failure reported for its task. A broker that batches acks
 * (Redis: one script call per batch) gives every ack of a batch the same promise: the tasks
 * acked in a row on one promise share one failure handler instead of one derived promise each,
 * which with AsyncLocalStorage's promise hooks on is a measurable part of a task's cost.
 */
export class BackgroundAcks {
  /** The group the next ack joins if it returns the same promise; null once that settled. */
  private last: AckGroup | null = null;

  constructor(private readonly failed: AckFailed) {}

  /** Ack `delivery`; a failure is reported through `failed` for this task. */
  ack(delivery: Delivery, request: TaskRequest): void {
    const promise = delivery.ack();
    const last = this.last;
    if (last !== null && last.promise === promise) {
      last.deliveries.push(delivery);
      last.requests.push(request);
      return;
    }
    const group: AckGroup = { promise, deliveries: [delivery], requests: [request] };
    this.last = group;
    // Settled: a later ack that returns this same promise (a broker's shared resolved one)
    // starts a new group, so no group grows without bound.
    promise.then(
      () => this.close(group),
      (error: Error) => {
        this.close(group);
        for (let i = 0; i < group.deliveries.length; i++) {
          this.failed(group.deliveries[i]!, group.requests[i]!, error);
        }
      },
    );
  }

  private close(group: AckGroup): void {
    if (this.last === group) this.last = null;
  }
}
