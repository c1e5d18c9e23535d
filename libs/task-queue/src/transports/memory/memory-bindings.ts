/**
 * The direct-exchange bindings of a `memory://` store, as kombu keeps them: every queue a
 * producer sends to or a worker consumes is bound to the exchange of its own name with its own
 * name as key (Celery's automatic queues), and `bindDirect()` adds others. A publish to an
 * exchange with a routing key reaches every queue bound with exactly that key.
 */
export class MemoryBindings {
  /** exchange → routing key → queues. */
  private readonly table = new Map<string, Map<string, Set<string>>>();

  bind(queue: string, exchange: string, routingKey: string): void {
    let keys = this.table.get(exchange);
    if (!keys) this.table.set(exchange, (keys = new Map()));
    let queues = keys.get(routingKey);
    if (!queues) keys.set(routingKey, (queues = new Set()));
    queues.add(queue);
  }

  /** Declare `queue` as Celery declares the queues it routes to: its own direct binding. */
  declare(queue: string): void {
    this.bind(queue, queue, queue);
  }

  /** The queues bound to `exchange` with `routingKey`, in the order they were bound. */
  queues(exchange: string, routingKey: string): string[] {
    return [...(this.table.get(exchange)?.get(routingKey) ?? [])];
  }
}
