import type { DataSource, EntityManager } from 'typeorm';
import { describe, expectTypeOf, it } from 'vitest';
import { onCommit } from './on-commit.js';

// Type-level proof, checked by `npm run typecheck` (tsc): each @ts-expect-error must be an error.
declare const manager: EntityManager;
declare const dataSource: DataSource;

describe('onCommit types', () => {
  it('takes a callback without arguments, and a DataSource (not its name) as using=', () => {
    const compileOnly = (): void => {
      void onCommit(() => undefined);
      void onCommit(async () => undefined, { robust: true, name: 'notify', dataSource });
      void onCommit(manager, () => undefined, { robust: true, strict: true });
      // @ts-expect-error the callback takes no arguments (bind them), as Django's
      void onCommit((id: number) => id);
      // @ts-expect-error a DataSource, not its name (Django's using='default')
      void onCommit(() => undefined, { dataSource: 'default' });
      // @ts-expect-error the explicit form names its transaction already
      void onCommit(manager, () => undefined, { dataSource });
      // @ts-expect-error unknown option
      void onCommit(() => undefined, { robst: true });
      expectTypeOf(onCommit(() => undefined)).toEqualTypeOf<Promise<void>>();
    };
    void compileOnly;
  });
});
