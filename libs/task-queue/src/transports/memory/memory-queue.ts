import type { TaskMessage } from '../../contracts/task-message.interface.js';

/** One stored message of the embedded broker. */
export interface StoredMessage {
  message: TaskMessage;
  tag: string;
  priority: number;
  redelivered: boolean;
  /** The exchange and routing key it was published with, when not the queue's own. */
  route?: { exchange: string; routingKey: string };
  /** When it became ready (epoch ms): the queue's oldest age for metrics. */
  readyAt?: number;
}

/**
 * A queue with ten priority buckets, FIFO inside each. `higherFirst` serves 9 before 0 (AMQP
 * semantics, which the embedded broker follows).
 */
export class MemoryQueue {
  private readonly buckets: StoredMessage[][] = Array.from({ length: 10 }, () => []);
  private size = 0;

  get length(): number {
    return this.size;
  }

  push(entry: StoredMessage): void {
    entry.readyAt ??= Date.now();
    this.buckets[clampPriority(entry.priority)]!.push(entry);
    this.size++;
  }

  /** Put a message back at the head of its bucket (requeue keeps its place in line). */
  unshift(entry: StoredMessage): void {
    this.buckets[clampPriority(entry.priority)]!.unshift(entry);
    this.size++;
  }

  shift(): StoredMessage | undefined {
    for (let p = 9; p >= 0; p--) {
      const entry = this.buckets[p]!.shift();
      if (entry) {
        this.size--;
        return entry;
      }
    }
    return undefined;
  }

  /** Epoch ms the longest-waiting ready message became ready; undefined when empty. */
  oldestReadyAt(): number | undefined {
    let oldest: number | undefined;
    for (const bucket of this.buckets) {
      const at = bucket[0]?.readyAt;
      if (at !== undefined && (oldest === undefined || at < oldest)) oldest = at;
    }
    return oldest;
  }

  clear(): number {
    const removed = this.size;
    for (const bucket of this.buckets) bucket.length = 0;
    this.size = 0;
    return removed;
  }
}

export function clampPriority(priority: number | undefined): number {
  if (priority === undefined || !Number.isFinite(priority)) return 0;
  return Math.min(9, Math.max(0, Math.trunc(priority)));
}
