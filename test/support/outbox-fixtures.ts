import { randomUUID } from 'node:crypto';
import type { Broker, PublishOptions, TaskMessage } from 'celeriac';

/**
 * Records publishes; `down` makes publish (and ping) fail like an unreachable broker, `refused`
 * makes the publish of those ids fail while the broker answers.
 */
export class RecordingBroker implements Pick<Broker, 'publish' | 'ping'> {
  readonly published: string[] = [];
  down = false;
  /** Ids whose publish fails while the broker is up (a message the broker refuses). */
  readonly refused = new Set<string>();
  /** Every publish fails while ping answers (a broker blocking publishers). */
  refuseAll = false;
  async publish(message: TaskMessage, _options: PublishOptions): Promise<void> {
    if (this.down) throw new Error('broker unreachable');
    if (this.refuseAll || this.refused.has(message.headers.id)) throw new Error('message refused');
    this.published.push(message.headers.id);
  }
  async ping(): Promise<void> {
    if (this.down) throw new Error('broker unreachable');
  }
}
export const asBroker = (b: RecordingBroker): Broker => b as unknown as Broker;

export function message(id: string = randomUUID()): TaskMessage {
  return {
    headers: {
      lang: 'py',
      task: 'demo.add',
      id,
      shadow: null,
      eta: null,
      expires: null,
      group: null,
      group_index: null,
      retries: 0,
      timelimit: [null, null],
      root_id: id,
      parent_id: null,
      argsrepr: '()',
      kwargsrepr: '{}',
      origin: 'test',
      ignore_result: false,
    },
    properties: { correlation_id: id, reply_to: '', delivery_mode: 2, priority: 0 },
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    body: '[[], {}, {}]',
  };
}
