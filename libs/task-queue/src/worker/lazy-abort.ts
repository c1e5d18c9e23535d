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
  private listener?: (reason: unknown) => void;

  /** Call `listener` on abort, without creating the controller (one listener; isolate pools). */
  onAbort(listener: (reason: unknown) => void): void {
    this.listener = listener;
  }

  get signal(): AbortSignal {
    return this.real().signal;
  }

  /** The abort reason, or undefined while not aborted (without creating the controller). */
  peekReason(): unknown {
    return this.controller?.signal.reason;
  }

  abort(reason?: unknown): void {
    const real = this.real();
    if (real.signal.aborted) return;
    real.abort(reason);
    this.listener?.(real.signal.reason);
  }

  private real(): AbortController {
    this.controller ??= new AbortController();
    return this.controller;
  }
}

/** Why `controller` was aborted, or undefined; a LazyAbortController is not materialised. */
export function abortReasonOf(controller: TaskAbort): unknown {
  return controller instanceof LazyAbortController
    ? controller.peekReason()
    : controller.signal.aborted
      ? controller.signal.reason
      : undefined;
}
