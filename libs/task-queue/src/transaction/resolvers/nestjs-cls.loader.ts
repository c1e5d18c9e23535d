import { createRequire } from 'node:module';
import type { EntityManager } from 'typeorm';

/** The part of `@nestjs-cls/transactional`'s TransactionHost that Celeriac uses. */
export interface TransactionHostLike {
  readonly tx: unknown;
  isTransactionActive(): boolean;
  withoutTransaction<R>(fn: () => Promise<R>): Promise<R>;
  /** `propagation` is a `Propagation` enum value ('REQUIRED', 'NESTED', ...). */
  withTransaction<R>(propagation: string, options: object, fn: () => Promise<R>): Promise<R>;
}

interface TransactionalModule {
  TransactionHost: {
    getInstance(connectionName?: string): TransactionHostLike;
    readonly prototype: object;
  };
}

let loaded: TransactionalModule | null | undefined;

/**
 * `@nestjs-cls/transactional` when it is installed, else null. It is an optional peer: loaded
 * lazily with `require` (the package is CommonJS, so this is the same instance the app uses).
 */
export function loadTransactional(): TransactionalModule | null {
  if (loaded !== undefined) return loaded;
  try {
    const require = createRequire(import.meta.url);
    loaded = require('@nestjs-cls/transactional') as TransactionalModule;
  } catch {
    loaded = null;
  }
  return loaded;
}

/** The TransactionHost registered for `connectionName`, or undefined (plugin absent / not set up). */
export function getTransactionHost(connectionName?: string): TransactionHostLike | undefined {
  const transactional = loadTransactional();
  if (!transactional) return undefined;
  try {
    return transactional.TransactionHost.getInstance(connectionName);
  } catch {
    return undefined;
  }
}

/** True when `value` looks like a TypeORM EntityManager (the TypeORM adapter's `tx`). */
export function isEntityManagerLike(value: unknown): value is EntityManager {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { transaction?: unknown }).transaction === 'function' &&
    'connection' in value
  );
}
