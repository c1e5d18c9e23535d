import type { DataSource, EntityManager } from 'typeorm';

/** What the implicit `onCommit(fn)` is looking for. */
export interface ResolveQuery {
  dataSource?: DataSource;
  connectionName?: string;
}

/**
 * Answers "what is the current transactional EntityManager?" for the implicit `onCommit(fn)`.
 * The first resolver that returns a manager wins.
 * @publicApi
 */
export interface TransactionResolver {
  readonly name: string;
  /** The current manager, or undefined when this resolver knows of none. */
  resolve(query: ResolveQuery): EntityManager | undefined;
  /** Run `fn` with this resolver's transaction context cleared (used to run callbacks). */
  runOutside?<T>(fn: () => Promise<T>): Promise<T>;
}
