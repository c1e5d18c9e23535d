const registries = new Map<string, Map<string, unknown>>();

/**
 * The process-wide instance of `kind` called `name`, created on first use; a private one when
 * `name` is undefined. This is how `memory://<name>` lets a producer app and a worker app in one
 * process (tests) share queues, results, revocations, rate-limit slots and the control bus.
 */
export function sharedByName<T>(kind: string, name: string | undefined, create: () => T): T {
  if (name === undefined) return create();
  let registry = registries.get(kind);
  if (!registry) registries.set(kind, (registry = new Map()));
  if (!registry.has(name)) registry.set(name, create());
  return registry.get(name) as T;
}

/** The store name of a `memory://<name>` URL, or undefined for a private `memory://`. */
export function memoryStoreName(url: string): string | undefined {
  return new URL(url).host || undefined;
}
