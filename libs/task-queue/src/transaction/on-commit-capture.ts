import { AsyncLocalStorage } from 'node:async_hooks';
import type { CaptureRecord } from './on-commit.types.js';

/** Callbacks recorded while a capture scope is active (see testing/capture-on-commit.ts). */
export interface CaptureScope {
  readonly records: CaptureRecord[];
}

/**
 * The active capture scope, if any: `onCommit` still registers with the transaction (so a
 * rolled-back savepoint or transaction drops the record) but records instead of running.
 */
export const captureStorage = new AsyncLocalStorage<CaptureScope>();
