import type { MessageEmbed, TaskMessage } from '../contracts/task-message.interface.js';

/** A decoded, validated task message: what a worker executes. @publicApi */
export interface TaskRequest {
  id: string;
  name: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  embed: MessageEmbed;
  retries: number;
  eta: Date | null;
  expires: Date | null;
  rootId: string;
  parentId: string | null;
  group: string | null;
  groupIndex: number | null;
  /** `[hard, soft]` seconds from the message. */
  timeLimit: [number | null, number | null];
  ignoreResult: boolean;
  replyTo: string;
  correlationId: string;
  origin: string | null;
  /** Every header of the message, custom ones included. */
  headers: Record<string, unknown>;
  /** The message as received, for republishing (retries, dead letters). */
  message: TaskMessage;
  /** The routing key it was delivered with (Celery's `delivery_info['routing_key']`), if any. */
  queue: string | null;
}
