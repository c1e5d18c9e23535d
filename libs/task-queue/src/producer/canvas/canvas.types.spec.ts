import { describe, expectTypeOf, it } from 'vitest';
import type { OrderTasks, Receipt } from '../../__fixtures__/orders.fixture.js';
import type { AsyncResult } from '../../results/async-result.js';
import type { GroupResult } from '../../results/group-result.js';
import type { TaskClient } from '../task.client.js';
import { chain, chord, group } from './canvas.functions.js';

// Type-level proof, checked by `npm run typecheck` (tsc): each @ts-expect-error must be an error.
declare const tasks: TaskClient;
interface SumTasks {
  tsum(nums: number[]): number;
}

describe('typed canvases', () => {
  it('.s() binds trailing parameters; chain steps must accept the previous result', () => {
    const compileOnly = (): void => {
      const add = tasks.get({} as never as typeof OrderTasks, 'add');
      const process = tasks.get({} as never as typeof OrderTasks, 'process');
      const decline = tasks.get({} as never as typeof OrderTasks, 'decline');
      // @ts-expect-error a string is not a number
      add.s('x');
      // @ts-expect-error too many arguments
      add.s(1, 2, 3);
      expectTypeOf(chain(add.s(2, 2), add.s(4), process.s()).applyAsync).returns.toEqualTypeOf<
        Promise<AsyncResult<Receipt>>
      >();
      // @ts-expect-error decline takes a string, the previous step returns a number
      chain(add.s(2, 2), decline.s());
      // @ts-expect-error add.s() leaves two free parameters: only one result is prepended
      chain(add.s(2, 2), add.s());
      chain(add.s(2, 2), decline.si('no')); // immutable: nothing is prepended
      expectTypeOf(group(add.s(1, 1), process.s(1)).applyAsync).returns.toEqualTypeOf<
        Promise<GroupResult<[number, Receipt]>>
      >();
      // @ts-expect-error the body gets [number, number], not a string
      chord([add.s(1, 1), add.s(2, 2)], decline.s());
      // Celery's chord(group(...), body): the body's first parameter is the group's results.
      const tsum = tasks.get({} as never as new () => SumTasks, 'tsum');
      expectTypeOf(
        chord(group(add.s(1, 1), add.s(2, 2)), tsum.s()).applyAsync,
      ).returns.toEqualTypeOf<Promise<AsyncResult<number>>>();
      expectTypeOf(chord([add.s(1, 1), add.s(2, 2)], tsum.s()).applyAsync).returns.toEqualTypeOf<
        Promise<AsyncResult<number>>
      >();
      // @ts-expect-error the body gets [number, number], not a string
      chord(group(add.s(1, 1), add.s(2, 2)), decline.s());
    };
    void compileOnly;
  });
});
