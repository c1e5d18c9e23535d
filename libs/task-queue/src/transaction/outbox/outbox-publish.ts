import type { Broker } from '../../contracts/broker.interface.js';
import type { TaskMessage } from '../../contracts/task-message.interface.js';
import type { TaskOutbox } from './task-outbox.entity.js';

/** Publish the message stored in an outbox row with the options it was written with. */
export function publishOutboxRow(broker: Broker, row: TaskOutbox): Promise<void> {
  const message = JSON.parse(row.message) as TaskMessage;
  return broker.publish(message, {
    queue: row.queue,
    ...(row.priority !== null && row.priority !== undefined ? { priority: row.priority } : {}),
    ...(row.notBefore ? { notBefore: row.notBefore } : {}),
  });
}
