import type { ResultBackend, TaskMeta } from '../contracts/result-backend.interface.js';
import type { ResultTuple } from '../results/chord-parts.js';
import type { TaskAbort } from './lazy-abort.js';
import type { MetaRequest } from './task-meta.builder.js';

/** Where an `rpc://` result goes: the caller's reply queue and the caller's correlation id. */
export type StoreContext = { replyTo: string; correlationId: string };

/** What a final state (SUCCESS, FAILURE) carries for its recovery: the abort, the value, the children. */
export type FinalStore = { abort?: TaskAbort; value?: unknown; children?: ResultTuple[] };

/** A SUCCESS on its way to the result backend (see `ResultRecorder.success`). */
export interface SuccessWrite {
  /** Settles when the backend has it (resolves) or could not take it (rejects). */
  readonly written: Promise<void>;
  /** What is written; null without a result backend. */
  readonly meta: TaskMeta | null;
  readonly context: StoreContext | undefined;
  readonly request: MetaRequest;
  readonly hostname: string;
  readonly final: FinalStore;
}

/** Nothing to write (no result backend): already done. */
export const STORED: Promise<void> = Promise.resolve();

/** Where an `rpc://` result goes: the caller's reply queue, when the message names one. */
export function contextOf(request: MetaRequest): StoreContext | undefined {
  return request.replyTo
    ? { replyTo: request.replyTo, correlationId: request.correlationId ?? request.id }
    : undefined;
}

/** `backend.store()`, with a synchronous throw turned into a rejection. */
export function attempt(
  backend: ResultBackend,
  meta: TaskMeta,
  context: StoreContext | undefined,
): Promise<void> {
  try {
    return backend.store(meta, context);
  } catch (error) {
    return Promise.reject(error);
  }
}
