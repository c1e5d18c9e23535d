import type { TaskOptions } from '../contracts/task-options.interface.js';

/** A discovered task: its name, merged options and how to call it. */
export interface TaskDefinition {
  name: string;
  options: TaskOptions;
  /** `ClassName.method`, for logs and duplicate reports. */
  source: string;
  /** Resolve the handler for one execution (a bound method; per-task instance when request-scoped). */
  resolve(): Promise<(...args: unknown[]) => unknown>;
  /** The bound handler of a singleton provider, when known: the worker then skips `resolve()`. */
  handler?: (...args: unknown[]) => unknown;
  /** Number of declared parameters (before any default), to detect missing arguments. */
  arity: number;
  /**
   * Most positional arguments the handler takes: `params.length`, else its declared parameter
   * count (decorator metadata); null when unbounded (a rest parameter) or unknown.
   */
  maxArity?: number | null;
}
