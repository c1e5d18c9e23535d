import { randomUUID } from 'node:crypto';
import type { Broker, PublishOptions, TaskMessage } from 'celeriac';

/** Records publishes; `down` makes publish fail like an unreachable broker. */
export class RecordingBroker implements Pick<Broker, 'publish'> {
  readonly published: string[] = [];
  down = false;
  async publish(message: TaskMessage, _options: PublishOptions): Promise<void> {
    if (this.down) throw new Error('broker unreachable');
    this.published.push(message.headers.id);
  }
}
export const asBroker = (b: RecordingBroker): Broker => b as unknown as Broker;

export function message(id = randomUUID()): TaskMessage {
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
