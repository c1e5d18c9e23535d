import type { PublishOptions } from '../contracts/broker.interface.js';
import type { TaskMessage } from '../contracts/task-message.interface.js';
import { MemoryBroker } from '../transports/memory/memory.broker.js';

/** A memory broker that keeps the headers of what was published (unit tests). */
export class RecordingBroker extends MemoryBroker {
  readonly sent: TaskMessage['headers'][] = [];

  override async publish(message: TaskMessage, options: PublishOptions): Promise<void> {
    this.sent.push(message.headers);
    await super.publish(message, options);
  }
}
