import type {
  BroadcastTransport,
  ExchangeSpec,
  ExchangeSubscription,
  IncomingMessage,
  OutgoingMessage,
  ReplyQueue,
  SubscriptionSpec,
} from '../../contracts/broadcast-transport.interface.js';
import { MessageBuffer } from '../../broadcast/message-buffer.js';
import { acquireShared, type SharedLease } from '../../utils/shared-by-name.js';

interface Subscriber {
  spec: SubscriptionSpec;
  handler: (message: IncomingMessage) => void;
}

/** The subscribers and reply queues of one in-process bus. */
class MemoryBus {
  readonly subscribers = new Set<Subscriber>();
  readonly replies = new Map<string, MemoryReplyQueue>();
}

/**
 * Events and remote control inside one process, for `memory://` brokers: apps on the same
 * named memory broker (`memory://name`) share a bus; a broker instance gets a private one.
 * Nothing leaves the process, so Celery tooling cannot see these workers.
 * @publicApi
 */
export class MemoryBroadcastTransport implements BroadcastTransport {
  readonly kind = 'memory';
  private readonly lease: SharedLease<MemoryBus>;
  private readonly bus: MemoryBus;

  /** @param name a bus shared in the process until its last transport closes; omit for a private one. */
  constructor(name?: string) {
    this.lease = acquireShared('memory-control-bus', name, () => new MemoryBus());
    this.bus = this.lease.value;
  }

  async publish(exchange: ExchangeSpec, routingKey: string, message: OutgoingMessage) {
    const incoming = (): IncomingMessage => ({
      body: structuredClone(message.body),
      headers: structuredClone(message.headers),
      exchange: exchange.name,
      routingKey,
    });
    if (exchange.type === 'direct') {
      const reply = this.bus.replies.get(routingKey);
      if (reply) setImmediate(() => reply.push(incoming()));
      return;
    }
    for (const sub of this.bus.subscribers) {
      if (sub.spec.exchange.name !== exchange.name) continue;
      if (exchange.type === 'topic' && !topicMatches(sub.spec.bindingKey, routingKey)) continue;
      setImmediate(() => sub.handler(incoming()));
    }
  }

  async subscribe(
    spec: SubscriptionSpec,
    handler: (message: IncomingMessage) => void,
  ): Promise<ExchangeSubscription> {
    const sub = { spec, handler };
    this.bus.subscribers.add(sub);
    return { cancel: async () => void this.bus.subscribers.delete(sub) };
  }

  async openReplyQueue(oid: string): Promise<ReplyQueue> {
    const reply = new MemoryReplyQueue(oid, () => this.bus.replies.delete(oid));
    this.bus.replies.set(oid, reply);
    return reply;
  }

  async close(): Promise<void> {
    this.lease.release();
  }
}

class MemoryReplyQueue implements ReplyQueue {
  private readonly buffer = new MessageBuffer<IncomingMessage>();

  constructor(
    readonly routingKey: string,
    private readonly release: () => void,
  ) {}

  push(message: IncomingMessage): void {
    this.buffer.push(message);
  }

  next(timeoutMs: number): Promise<IncomingMessage | null> {
    return this.buffer.next(timeoutMs);
  }

  async close(): Promise<void> {
    this.buffer.close();
    this.release();
  }
}

/** AMQP topic matching: `*` is exactly one word, `#` zero or more words. */
export function topicMatches(bindingKey: string, routingKey: string): boolean {
  return matchWords(
    bindingKey ? bindingKey.split('.') : [],
    routingKey ? routingKey.split('.') : [],
  );
}

function matchWords(binding: string[], words: string[]): boolean {
  if (!binding.length) return !words.length;
  const [head, ...rest] = binding;
  if (head === '#')
    return matchWords(rest, words) || (words.length > 0 && matchWords(binding, words.slice(1)));
  if (!words.length) return false;
  return (head === '*' || head === words[0]) && matchWords(rest, words.slice(1));
}
