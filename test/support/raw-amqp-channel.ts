import { connect, type Channel } from 'amqplib';

/** What a spec closes after each test, newest first. */
export interface Closable {
  close(): Promise<void>;
}

/**
 * A plain amqplib channel on `url`, for a test to do what the code under test does not (delete
 * a queue under it, read a depth). Its connection joins `opened` for the spec to close; its
 * `error` events (RabbitMQ closes a channel on a refused operation) are left to the test's awaits.
 */
export async function openRawChannel(url: string, opened: Closable[]): Promise<Channel> {
  const model = await connect(url);
  opened.push(model);
  const channel = await model.createChannel();
  channel.on('error', () => undefined);
  return channel;
}
