import type { EntityManager } from 'typeorm';
import { currentTrackedManager, trackedTransactions } from '../transaction-tracking.js';
import type { ResolveQuery, TransactionResolver } from './transaction-resolver.interface.js';

/**
 * Reads the innermost active TypeORM transaction of the current async context, however it was
 * opened, on the DataSources whose transactions are tracked (`trackTransactions()`; the module
 * tracks its `typeorm.dataSource`).
 * @publicApi
 */
export class TypeOrmContextResolver implements TransactionResolver {
  readonly name = 'typeorm';

  resolve(query: ResolveQuery): EntityManager | undefined {
    return currentTrackedManager(query.dataSource);
  }

  runOutside<T>(fn: () => Promise<T>): Promise<T> {
    return trackedTransactions.exit(fn);
  }
}
