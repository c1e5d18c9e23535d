import { DataSource } from 'typeorm';
import { ConfigurationError } from '../errors/configuration.error.js';
import { atomicManagerParameter } from './atomic-manager.decorator.js';
import { atomic, type AtomicOptions } from './transaction-context.js';

/** Options of `@Atomic()`. @publicApi */
export interface AtomicDecoratorOptions extends AtomicOptions {
  /** Picks the DataSource from the instance; default: its `dataSource` property. */
  dataSource?: (instance: object) => DataSource;
}

type Reflection = {
  getMetadataKeys?: (target: object) => unknown[];
  getMetadata?: (key: unknown, target: object) => unknown;
  defineMetadata?: (key: unknown, value: unknown, target: object) => void;
};

/**
 * Run the decorated async method inside `atomic()`, so `onCommit(fn)` calls made during it wait
 * for the commit. The DataSource is the instance's `dataSource` property unless
 * `options.dataSource` picks another. A parameter marked `@AtomicManager()` receives the
 * transaction's EntityManager. Metadata of other decorators on the method is kept.
 * @publicApi
 */
export function Atomic(options: AtomicDecoratorOptions = {}): MethodDecorator {
  return (target, propertyKey, descriptor) => {
    const original: unknown = descriptor.value;
    if (typeof original !== 'function') {
      throw new ConfigurationError(`@Atomic() can only decorate methods (${String(propertyKey)}).`);
    }
    const method = original as (...args: unknown[]) => Promise<unknown>;
    const wrapped = function (this: object, ...args: unknown[]): Promise<unknown> {
      const dataSource = options.dataSource
        ? options.dataSource(this)
        : (this as { dataSource?: unknown }).dataSource;
      if (!(dataSource instanceof DataSource)) {
        throw new ConfigurationError(
          `@Atomic() on ${target.constructor.name}.${String(propertyKey)} needs a DataSource: ` +
            `inject it as a "dataSource" property or pass @Atomic({ dataSource: (self) => ... }).`,
        );
      }
      const managerIndex = atomicManagerParameter(target, propertyKey);
      return atomic(
        dataSource,
        (manager) => {
          if (managerIndex === undefined) return method.apply(this, args);
          const withManager = [...args];
          withManager[managerIndex] = manager;
          return method.apply(this, withManager);
        },
        options,
      );
    };
    copyMetadata(method, wrapped);
    Object.defineProperty(wrapped, 'name', { value: method.name });
    descriptor.value = wrapped as typeof descriptor.value;
    return descriptor;
  };
}

function copyMetadata(from: object, to: object): void {
  const reflect = Reflect as unknown as Reflection;
  if (!reflect.getMetadataKeys || !reflect.getMetadata || !reflect.defineMetadata) return;
  for (const key of reflect.getMetadataKeys(from)) {
    reflect.defineMetadata(key, reflect.getMetadata(key, from), to);
  }
}
