/** What the worker uses of an AbortController (an AbortController is one). */
export interface TaskAbort {
  readonly signal: AbortSignal;
  abort(reason?: unknown): void;
}

/**
 * An AbortController created on first use. Most tasks never read their signal nor get
 * aborted, and Node's AbortController / AbortSignal pair is costly to build per task.
 */
export class LazyAbortController implements TaskAbort {
  private controller?: AbortController;

  get signal(): AbortSignal {
    return this.real().signal;
  }

  abort(reason?: unknown): void {
    this.real().abort(reason);
  }

  private real(): AbortController {
    this.controller ??= new AbortController();
    return this.controller;
  }
}
