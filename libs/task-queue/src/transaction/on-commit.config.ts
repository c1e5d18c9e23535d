import { AlsTransactionResolver } from './resolvers/als.resolver.js';
import { NestjsClsTransactionResolver } from './resolvers/nestjs-cls.resolver.js';
import type { TransactionResolver } from './resolvers/transaction-resolver.interface.js';
import { TypeOrmContextResolver } from './resolvers/typeorm-context.resolver.js';

/**
 * Process-wide settings of `onCommit()`.
 * @publicApi
 */
export interface OnCommitConfig {
  /**
   * When true, `onCommit()` without an active transaction throws `NoActiveTransactionError`
   * instead of running the callback immediately (Django's behaviour, the default). Recommended
   * for code paths that must be transactional: it catches a lost async context early.
   */
  strict: boolean;
  /**
   * How the implicit `onCommit(fn)` finds the current transaction, first match wins. Default:
   * the innermost transaction of a tracked DataSource (any form), then Celeriac's own
   * `atomic()` context, then `@nestjs-cls/transactional` when installed.
   */
  resolvers: readonly TransactionResolver[];
}

const defaults = (): OnCommitConfig => ({
  strict: false,
  resolvers: [
    new TypeOrmContextResolver(),
    new AlsTransactionResolver(),
    new NestjsClsTransactionResolver(),
  ],
});

let current: OnCommitConfig = defaults();

/**
 * Change the process-wide `onCommit()` settings; unspecified fields keep their value. Returns
 * the previous settings (tests restore them with `configureOnCommit(previous)`).
 * @publicApi
 */
export function configureOnCommit(config: Partial<OnCommitConfig>): OnCommitConfig {
  const previous = current;
  current = { ...current, ...config };
  return previous;
}

/** Restore the default settings (strict off, default resolvers). @publicApi */
export function resetOnCommitConfig(): void {
  current = defaults();
}

/** The settings in force. */
export function getOnCommitConfig(): OnCommitConfig {
  return current;
}
