import type { PublishOptions } from '../contracts/broker.interface.js';
import type { TaskMessage } from '../contracts/task-message.interface.js';
import { MemoryBroker } from '../transports/memory/memory.broker.js';

/** A memory broker that keeps the headers of what was published (unit tests). */
export class RecordingBroker extends MemoryBroker {
  readonly sent: TaskMessage['headers'][] = [];
  /** The publish options of each, in the same order. */
  readonly options: PublishOptions[] = [];

  override async publish(message: TaskMessage, options: PublishOptions): Promise<void> {
    this.sent.push(message.headers);
    this.options.push(options);
    await super.publish(message, options);
  }
}
