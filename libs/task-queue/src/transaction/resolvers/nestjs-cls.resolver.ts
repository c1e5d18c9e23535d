import type { EntityManager } from 'typeorm';
import { getTransactionHost, isEntityManagerLike } from './nestjs-cls.loader.js';
import type { ResolveQuery, TransactionResolver } from './transaction-resolver.interface.js';

/**
 * Reads the transaction of `@nestjs-cls/transactional` (`@Transactional()`,
 * `txHost.withTransaction()`) with the TypeORM adapter. Does nothing when the package is not
 * installed or the plugin is not registered.
 * @publicApi
 */
export class NestjsClsTransactionResolver implements TransactionResolver {
  readonly name = 'nestjs-cls';

  /** @param connectionNames TransactionHost connection names to clear when running callbacks. */
  constructor(private readonly connectionNames: ReadonlyArray<string | undefined> = [undefined]) {}

  resolve(query: ResolveQuery): EntityManager | undefined {
    const host = getTransactionHost(query.connectionName);
    if (!host?.isTransactionActive()) return undefined;
    const tx = host.tx;
    if (!isEntityManagerLike(tx)) return undefined;
    if (query.dataSource && tx.connection !== query.dataSource) return undefined;
    return tx;
  }

  runOutside<T>(fn: () => Promise<T>): Promise<T> {
    let run = fn;
    for (const name of this.connectionNames) {
      const host = getTransactionHost(name);
      if (!host?.isTransactionActive()) continue;
      const inner = run;
      run = () => host.withoutTransaction(inner);
    }
    return run();
  }
}
