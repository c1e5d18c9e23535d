import { randomUUID } from 'node:crypto';
import { connect, type ConfirmChannel, type GetMessage } from 'amqplib';
import { Redis } from 'ioredis';
import { pythonPrefill, type Producer } from './producers.js';
import { redisConnection } from './redis-url.js';

/**
 * The e2e-py producer: messages exactly as Python Celery 5 writes them, sent at a rate one
 * Python process cannot reach here (about 3,000 tasks/s). At start, `send_tasks.py` sends one
 * `send_task('interop.add', args=[0, 1])` to `captureQueue`; that message is taken back and
 * used as the template of every send, with a fresh task id (id, root_id, correlation_id), a
 * fresh delivery tag and args `[i, 1]` (body and argsrepr). Everything else — header order and
 * types, kombu's JSON spacing, reply_to, origin, properties — is what Python wrote.
 */
export async function pythonWireProducer(
  broker: 'redis' | 'amqp',
  brokerUrl: string,
  queue: string,
  captureQueue: string,
): Promise<Producer> {
  await pythonPrefill(brokerUrl, captureQueue, 1);
  return broker === 'redis'
    ? redisWire(brokerUrl, queue, captureQueue)
    : amqpWire(brokerUrl, queue, captureQueue);
}

/** Redis: the kombu envelope text, LPUSHed as kombu does (the sends of one turn in one LPUSH). */
async function redisWire(url: string, queue: string, captureQueue: string): Promise<Producer> {
  const client = new Redis(redisConnection(url));
  const raw = await client.rpop(captureQueue);
  if (!raw) throw new Error(`send_tasks.py left no message on ${captureQueue}`);
  const envelope = JSON.parse(raw) as {
    body: string;
    headers: { id: string };
    properties: { delivery_tag: string };
  };
  const body = Buffer.from(envelope.body, 'base64').toString('utf8');
  if (!body.startsWith('[[0, 1], ')) throw new Error(`Unexpected Python body: ${body}`);
  const bodyRest = body.slice('[[0, 1]'.length);
  const id = envelope.headers.id;
  const tag = envelope.properties.delivery_tag;
  // The text around the parts that change: task id (3 places), body, argsrepr and tag; the
  // routing key names the measured queue.
  const parts = raw
    .replace(
      `"routing_key": ${JSON.stringify(captureQueue)}`,
      `"routing_key": ${JSON.stringify(queue)}`,
    )
    .replace(envelope.body, '\u0001')
    .replace('"argsrepr": "[0, 1]"', '"argsrepr": "\u0002"')
    .replace(tag, '\u0003')
    .split(id);
  if (parts.length !== 4) throw new Error(`The task id is not in 3 places of ${raw}`);
  const text = (i: number, taskId: string): string => {
    const args = `[${i}, 1]`;
    const b64 = Buffer.from(`[${args}${bodyRest}`).toString('base64');
    return parts
      .join(taskId)
      .replace('\u0001', b64)
      .replace('\u0002', args)
      .replace('\u0003', randomUUID());
  };
  let i = 0;
  let batch: { values: string[]; sent: Promise<unknown> } | null = null;
  const flush = (values: string[]) => client.lpush(queue, ...values);
  return {
    send: async () => {
      const taskId = randomUUID();
      if (!batch) {
        const values: string[] = [];
        batch = {
          values,
          sent: new Promise((resolve) => setImmediate(resolve)).then(() => flush(values)),
        };
        void batch.sent.finally(() => (batch = null));
      }
      batch.values.push(text(i++, taskId));
      await batch.sent;
      return taskId;
    },
    close: async () => void client.disconnect(),
  };
}

/** RabbitMQ: the properties, headers and body py-amqp published, on a confirm channel. */
async function amqpWire(url: string, queue: string, captureQueue: string): Promise<Producer> {
  const connection = await connect(url);
  const channel: ConfirmChannel = await connection.createConfirmChannel();
  const got = await channel.get(captureQueue, { noAck: true });
  if (!got) throw new Error(`send_tasks.py left no message on ${captureQueue}`);
  const template: GetMessage = got;
  const body = template.content.toString('utf8');
  if (!body.startsWith('[[0, 1], ')) throw new Error(`Unexpected Python body: ${body}`);
  const bodyRest = body.slice('[[0, 1]'.length);
  const props = template.properties;
  const headers = props.headers as Record<string, unknown>;
  let i = 0;
  return {
    send: () => {
      const taskId = randomUUID();
      const args = `[${i}, 1]`;
      i++;
      return new Promise<string>((resolve, reject) => {
        channel.publish(
          '',
          queue,
          Buffer.from(`[${args}${bodyRest}`),
          {
            headers: { ...headers, id: taskId, root_id: taskId, argsrepr: args },
            correlationId: taskId,
            replyTo: props.replyTo as string,
            deliveryMode: props.deliveryMode as number,
            priority: props.priority as number,
            contentType: props.contentType as string,
            contentEncoding: props.contentEncoding as string,
          },
          (error) => (error ? reject(error) : resolve(taskId)),
        );
      });
    },
    close: async () => {
      await connection.close().catch(() => undefined);
    },
  };
}
