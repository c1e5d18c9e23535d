import { captureStorage, type CaptureScope } from '../transaction/on-commit-capture.js';
import type { OnCommitCallback } from '../transaction/on-commit.types.js';

/** One callback recorded by `captureOnCommitCallbacks`. @publicApi */
export interface CapturedOnCommitCallback {
  readonly name: string;
  readonly robust: boolean;
  readonly fn: OnCommitCallback;
}

/** Result of `captureOnCommitCallbacks`. @publicApi */
export interface CapturedOnCommit<T> {
  result: T;
  callbacks: CapturedOnCommitCallback[];
}

/**
 * Like Django's `TestCase.captureOnCommitCallbacks`: every `onCommit()` call made while `fn`
 * runs (in its async context) is recorded instead of being registered with the transaction or
 * run, whatever the transaction's outcome. With `execute: true` the recorded callbacks are run
 * in order after `fn` resolves (including callbacks those callbacks register), as Django does.
 * @publicApi
 */
export async function captureOnCommitCallbacks<T>(
  fn: () => Promise<T>,
  options: { execute?: boolean } = {},
): Promise<CapturedOnCommit<T>> {
  const scope: CaptureScope = { entries: [] };
  const result = await captureStorage.run(scope, fn);
  if (options.execute) {
    for (let index = 0; index < scope.entries.length; index++) {
      await captureStorage.run(scope, async () => scope.entries[index]!.fn());
    }
  }
  return {
    result,
    callbacks: scope.entries.map(({ name, robust, fn: callback }) => ({
      name,
      robust,
      fn: callback,
    })),
  };
}
