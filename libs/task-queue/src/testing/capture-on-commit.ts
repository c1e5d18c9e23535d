import { committedCallbackScope } from '../transaction/committed-callback.scope.js';
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
 * Like Django's `TestCase.captureOnCommitCallbacks`: the `onCommit()` callbacks registered while
 * `fn` runs (in its async context) are recorded instead of being run, and only those that would
 * run: a callback registered in a savepoint or transaction that rolled back is left out; one
 * still waiting for a transaction that is open when `fn` returns is included. With
 * `execute: true` the recorded callbacks are run in order after `fn` resolves (including
 * callbacks those callbacks register), as Django does.
 * @publicApi
 */
export async function captureOnCommitCallbacks<T>(
  fn: () => Promise<T>,
  options: { execute?: boolean } = {},
): Promise<CapturedOnCommit<T>> {
  const scope: CaptureScope = { records: [] };
  const result = await captureStorage.run(scope, fn);
  const kept = (): CapturedOnCommitCallback[] =>
    scope.records
      .filter((record) => !record.dropped)
      .map(({ entry }) => ({ name: entry.name, robust: entry.robust, fn: entry.fn }));
  if (options.execute) {
    for (let index = 0; index < kept().length; index++) {
      const callback = kept()[index]!;
      // As after a real commit: a callback's own onCommit() / delayOnCommit() run at once.
      await captureStorage.run(scope, () =>
        committedCallbackScope.run(true, async () => callback.fn()),
      );
    }
  }
  return { result, callbacks: kept() };
}
