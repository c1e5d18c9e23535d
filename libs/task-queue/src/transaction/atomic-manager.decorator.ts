/** Where `@AtomicManager()` records the parameter index: `target[key]` → method name → index. */
const PARAMS = Symbol('celeriac:atomic-manager-param');

type WithParams = { [PARAMS]?: Map<string | symbol, number> };

/**
 * Parameter decorator for a method decorated with `@Atomic()`: that parameter receives the
 * transaction's EntityManager (declare it last and optional, `manager?: EntityManager`; a value
 * the caller passes is replaced). Attaches metadata only; `@Atomic()` reads it.
 *
 * @example
 * @Atomic()
 * async place(dto: OrderDto, @AtomicManager() manager?: EntityManager) { ... }
 * @publicApi
 */
export function AtomicManager(): ParameterDecorator {
  return (target, propertyKey, index) => {
    if (propertyKey === undefined) return;
    const holder = target as WithParams;
    if (!Object.prototype.hasOwnProperty.call(holder, PARAMS)) {
      Object.defineProperty(holder, PARAMS, { value: new Map(holder[PARAMS]), enumerable: false });
    }
    holder[PARAMS]!.set(propertyKey, index);
  };
}

/** The index of the `@AtomicManager()` parameter of `target[propertyKey]`, if any. */
export function atomicManagerParameter(
  target: object,
  propertyKey: string | symbol,
): number | undefined {
  return (target as WithParams)[PARAMS]?.get(propertyKey);
}
