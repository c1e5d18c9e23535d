import type { Redis } from 'ioredis';
import { TaskQueueError } from '../../errors/task-queue.error.js';
import { TickBatcher } from '../../utils/tick-batcher.js';

/** One envelope on its way to a priority list. */
export interface OutgoingEnvelope {
  /** `_kombu.binding.<exchange>` and the member that binds the queue to it. */
  bindingKey: string;
  bindingMember: string;
  /** The priority list (queue or `queue SEP band`). */
  listKey: string;
  envelope: string;
}

/**
 * Wraps a send with the owner's guard (readiness wait, timeout); `count` is for messages,
 * `bytes` the characters sent (the timeout grows with them).
 */
export type PublishGuard = (
  count: number,
  bytes: number,
  send: () => Promise<void>,
) => Promise<void>;

/**
 * Publishes envelopes as kombu does (binding SADD, then LPUSH; docs/protocol.md#redis-publish-and-consume),
 * batched per event-loop turn: one pipeline holds one LPUSH per priority list carrying every
 * envelope bound for it, in publish order (so consumers still pop them first in, first out),
 * and the SADD of each binding not yet declared on this connection (kombu's `maybe_declare`
 * cache: declared once per queue, again after a reconnect).
 */
export class RedisPublisher {
  private readonly batcher: TickBatcher<OutgoingEnvelope>;
  private readonly declared = new Set<string>();

  constructor(
    private readonly client: Redis,
    guard: PublishGuard,
  ) {
    this.batcher = new TickBatcher((batch) =>
      guard(batch.length, sizeOf(batch), () => this.send(batch)),
    );
    // A new connection may face an emptied Redis (a restart without persistence): declare again.
    client.on('close', () => this.declared.clear());
  }

  publish(outgoing: OutgoingEnvelope): Promise<void> {
    return this.batcher.add(outgoing);
  }

  /** Send what is pending now (before closing). */
  flush(): Promise<void> {
    return this.batcher.flush();
  }

  private async send(batch: OutgoingEnvelope[]): Promise<void> {
    const pipeline = this.client.pipeline();
    const keys: string[] = []; // of each queued command, for error messages
    const declaring = new Set<string>();
    const lists = new Map<string, string[]>();
    for (const item of batch) {
      const binding = `${item.bindingKey}\n${item.bindingMember}`;
      if (!this.declared.has(binding) && !declaring.has(binding)) {
        declaring.add(binding);
        pipeline.sadd(item.bindingKey, item.bindingMember);
        keys.push(item.bindingKey);
      }
      const envelopes = lists.get(item.listKey);
      if (envelopes) envelopes.push(item.envelope);
      else lists.set(item.listKey, [item.envelope]);
    }
    for (const [listKey, envelopes] of lists) {
      pipeline.lpush(listKey, ...envelopes);
      keys.push(listKey);
    }
    const replies = (await pipeline.exec()) ?? [];
    const failures = replies.flatMap(([error], i) =>
      error ? [`${keys[i]}: ${error.message}`] : [],
    );
    if (failures.length > 0) {
      const outOfMemory = failures.some((failure) => failure.includes(': OOM '));
      throw new TaskQueueError(
        `Redis refused ${failures.length} of the ${replies.length} commands publishing ${batch.length} ` +
          `task(s) (${failures.join('; ')}). ` +
          (outOfMemory
            ? `Redis is out of memory (maxmemory reached): the refused task(s) were not stored. ` +
              `Free memory (drain or purge queues, lower resultExpires) or raise maxmemory, and ` +
              `keep maxmemory-policy noeviction so that Redis never evicts queued tasks.`
            : `Check that these keys are kombu queues (lists) and sets.`),
      );
    }
    for (const binding of declaring) this.declared.add(binding);
  }
}

function sizeOf(batch: OutgoingEnvelope[]): number {
  let bytes = 0;
  for (const item of batch) bytes += item.envelope.length;
  return bytes;
}
