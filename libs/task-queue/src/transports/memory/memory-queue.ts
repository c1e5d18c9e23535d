import type { TaskMessage } from '../../contracts/task-message.interface.js';

/** One stored message of the embedded broker. */
export interface StoredMessage {
  message: TaskMessage;
  tag: string;
  priority: number;
  redelivered: boolean;
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
