import { ConfigurationError } from '../errors/configuration.error.js';
import { DECORATOR_ON_NON_METHOD } from '../task-queue.messages.js';

/**
 * Throws a ConfigurationError when a method decorator of Celeriac is on a static method or on
 * something that is not a method (a getter, setter or field): the explorer looks for them on
 * the provider's instance only, so they would be silently ignored (or, for an accessor, fail
 * with Reflect's bare TypeError).
 */
export function assertInstanceMethod(
  decorator: string,
  target: object,
  key: string | symbol,
  descriptor: PropertyDescriptor | undefined,
): void {
  const misplaced =
    typeof target === 'function'
      ? 'a static method'
      : typeof descriptor?.value !== 'function'
        ? 'not a method (a getter, setter or field)'
        : undefined;
  if (!misplaced) return;
  const owner = typeof target === 'function' ? target : target.constructor;
  throw new ConfigurationError(
    DECORATOR_ON_NON_METHOD(decorator, owner.name, String(key), misplaced),
  );
}
