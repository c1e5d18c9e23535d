import { describe, expectTypeOf, it } from 'vitest';
import type { OrderTasks, Receipt } from '../__fixtures__/orders.fixture.js';
import type { AsyncResult } from '../results/async-result.js';
import type { TaskClient } from './task.client.js';

// Type-level proof, checked by `npm run typecheck` (tsc): each @ts-expect-error must be an error.
declare const tasks: TaskClient;

describe('typed producers', () => {
  it('take the handler parameter types and return AsyncResult of its return type', () => {
    const compileOnly = (): void => {
      const process = tasks.get({} as never as typeof OrderTasks, 'process');
      expectTypeOf(process.delay).parameters.toEqualTypeOf<[orderId: number]>();
      expectTypeOf(process.delay).returns.toEqualTypeOf<Promise<AsyncResult<Receipt>>>();
      expectTypeOf(tasks.get({} as never as typeof OrderTasks, 'add').delay).returns.toEqualTypeOf<
        Promise<AsyncResult<number>>
      >();
      // @ts-expect-error the result is a Receipt, not a string
      expectTypeOf(process.delay).returns.toEqualTypeOf<Promise<AsyncResult<string>>>();
    };
    void compileOnly;
  });

  it('rejects wrong arguments and unknown methods at compile time', () => {
    const compileOnly = (): void => {
      const process = tasks.get({} as never as typeof OrderTasks, 'process');
      void process.delay(42);
      // @ts-expect-error a string is not an orderId
      void process.delay('x');
      // @ts-expect-error missing argument
      void process.delay();
      // @ts-expect-error too many arguments
      void process.delay(1, 2);
      // @ts-expect-error applyAsync takes the args tuple
      void process.applyAsync([true]);
      void process.applyAsync([42], { countdown: 5, priority: 3 });
      // @ts-expect-error not a method of OrderTasks
      tasks.get({} as never as typeof OrderTasks, 'nope');
      // @ts-expect-error unknown apply option
      void process.applyAsync([42], { countdwn: 5 });
      // @ts-expect-error the on-commit forms are typed too
      void process.delayOnCommit('x');
      // @ts-expect-error applyAsyncOnCommit takes the args tuple
      void process.applyAsyncOnCommit(['x']);
      // @ts-expect-error a field, not a method
      tasks.get({} as never as typeof OrderTasks, 'calls');
      expectTypeOf(process.delayOnCommit).returns.toEqualTypeOf<Promise<AsyncResult<Receipt>>>();
      void process.applyAsyncOnCommit([42], { countdown: 5, priority: 3, queue: 'q' });
      // @ts-expect-error unknown apply option on the on-commit form too
      void process.applyAsyncOnCommit([42], { countdwn: 5 });
      // @ts-expect-error the manager is an EntityManager, not a name
      void process.applyAsyncOnCommit([42], { manager: 'default' });
      // @ts-expect-error using() keeps the handler's parameter types
      void process.using({}).delayOnCommit('x');
      // @ts-expect-error using() keeps the args tuple of applyAsyncOnCommit
      void process.using({}).applyAsyncOnCommit(['x']);
      expectTypeOf(process.using({}).delayOnCommit).returns.toEqualTypeOf<
        Promise<AsyncResult<Receipt>>
      >();
    };
    void compileOnly;
  });
});
