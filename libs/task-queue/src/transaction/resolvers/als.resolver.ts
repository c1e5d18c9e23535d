import type { EntityManager } from 'typeorm';
import { transactionStorage } from '../transaction-storage.js';
import type { ResolveQuery, TransactionResolver } from './transaction-resolver.interface.js';

/** Reads the transaction opened by `atomic()` / `@Atomic()`. @publicApi */
export class AlsTransactionResolver implements TransactionResolver {
  readonly name = 'internal';

  resolve(query: ResolveQuery): EntityManager | undefined {
    const store = transactionStorage.getStore();
    if (!store) return undefined;
    return query.dataSource ? store.byDataSource.get(query.dataSource) : store.current;
  }

  runOutside<T>(fn: () => Promise<T>): Promise<T> {
    return transactionStorage.exit(fn);
  }
}
