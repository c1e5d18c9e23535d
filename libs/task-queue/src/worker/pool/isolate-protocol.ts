import type { IsolatedErrorInfo } from '../../errors/isolated-task.error.js';
import type { TaskRequest } from '../../protocol/task-request.js';
import type { RunningTask } from '../../tasks/task-context.storage.js';
import type { ResultTuple } from '../../results/chord-parts.js';

/**
 * The messages between a pool and its isolates. Tasks go in batches (one postMessage or IPC
 * send for every task dispatched in the same tick), results come back batched the same way.
 * Requests travel by structured clone (they are decoded JSON plus dates); results travel as
 * the wire's JSON text, so a value that JSON cannot carry fails the task as it would inline.
 */

/** What an isolate needs to boot. */
export interface IsolateInit {
  /** File URL of the compiled module file. */
  moduleUrl: string;
  exportName: string;
  /** Report the isolate's memory with each batch of results (maxMemoryPerChild). */
  reportMemory: boolean;
}

/** One task sent to an isolate; `seq` identifies it on the way back. */
export interface IsolateJob {
  seq: number;
  /** The request without its raw message (the isolate does not republish). */
  request: Omit<TaskRequest, 'message'>;
  hostname: string;
  deliveryInfo: RunningTask['deliveryInfo'];
  /** Soft time limit in seconds, run by the isolate. */
  soft?: number;
}

/** A control-flow signal thrown by a handler, rebuilt by class in the worker. */
export type SignalInfo =
  | {
      kind: 'retry';
      countdown?: number;
      eta?: Date;
      maxRetries?: number | null;
      error?: IsolatedErrorInfo;
    }
  | { kind: 'reject'; reason: string; requeue: boolean }
  | { kind: 'ignore'; reason: string }
  | { kind: 'unrecoverable'; message: string }
  | { kind: 'arguments'; message: string; excType: string; issues?: string[] };

/**
 * How one task ended: `json` is the encoded return value (absent for undefined); `children`,
 * the results the task sent from the isolate (absent when none), which the worker records.
 */
export interface IsolateOutcome {
  seq: number;
  json?: string;
  children?: ResultTuple[];
  error?: IsolatedErrorInfo;
  signal?: SignalInfo;
}

export type ToIsolate =
  | { k: 'run'; jobs: IsolateJob[] }
  | { k: 'abort'; seq: number; reason: IsolatedErrorInfo }
  /** Close the Nest context and exit (recycling, pool close). */
  | { k: 'close' };

export type FromIsolate =
  | { k: 'ready'; tasks: string[] }
  | { k: 'boot-failed'; error: IsolatedErrorInfo }
  | { k: 'done'; outcomes: IsolateOutcome[]; memory?: number }
  /** A child process is dying of an uncaught error (sent on its way out; threads report their own). */
  | { k: 'fatal'; error: IsolatedErrorInfo };
