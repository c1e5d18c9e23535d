import { AsyncLocalStorage } from 'node:async_hooks';
import type { HookEntry } from './on-commit.types.js';

/** Callbacks recorded while a capture scope is active (see testing/capture-on-commit.ts). */
export interface CaptureScope {
  readonly entries: Array<Pick<HookEntry, 'fn' | 'robust' | 'name'>>;
}

/** The active capture scope, if any: `onCommit` records into it instead of registering. */
export const captureStorage = new AsyncLocalStorage<CaptureScope>();
