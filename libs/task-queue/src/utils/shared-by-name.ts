/** One use of a shared instance: its `value`, given back with {@link SharedLease.release}. */
export interface SharedLease<T> {
  readonly value: T;
  /** Give the instance back (idempotent). The last release of a name drops it. */
  release(): void;
}

interface Entry {
  value: unknown;
  users: number;
  dispose?: (value: never) => void;
}

const registries = new Map<string, Map<string, Entry>>();

/**
 * The process-wide instance of `kind` called `name`, created on first use and shared until its
 * last user releases it, then disposed and forgotten; a private one when `name` is undefined
 * (disposed at its release). This is how `memory://<name>` lets a producer app and a worker app
 * in one process (tests) share queues, results, revocations, rate-limit slots and the control
 * bus, without keeping them once every app on that name has closed.
 */
export function acquireShared<T>(
  kind: string,
  name: string | undefined,
  create: () => T,
  dispose?: (value: T) => void,
): SharedLease<T> {
  if (name === undefined) {
    const value = create();
    return lease(value, () => dispose?.(value));
  }
  let registry = registries.get(kind);
  if (!registry) registries.set(kind, (registry = new Map()));
  let entry = registry.get(name);
  if (!entry) registry.set(name, (entry = { value: create(), users: 0, dispose }));
  entry.users++;
  const shared = entry;
  const names = registry;
  return lease(shared.value as T, () => {
    if (--shared.users > 0) return;
    if (names.get(name) === shared) names.delete(name);
    if (!names.size && registries.get(kind) === names) registries.delete(kind);
    shared.dispose?.(shared.value as never);
  });
}

function lease<T>(value: T, onRelease: () => void): SharedLease<T> {
  let released = false;
  return {
    value,
    release: () => {
      if (released) return;
      released = true;
      onRelease();
    },
  };
}

/** How many instances of `kind` the process shares at the moment (for tests). */
export function sharedCount(kind: string): number {
  return registries.get(kind)?.size ?? 0;
}

/** The store name of a `memory://<name>` URL, or undefined for a private `memory://`. */
export function memoryStoreName(url: string): string | undefined {
  return new URL(url).host || undefined;
}
