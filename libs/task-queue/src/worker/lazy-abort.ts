import { AsyncLocalStorage } from 'node:async_hooks';

/** What the worker uses of an AbortController (an AbortController is one). */
export interface TaskAbort {
  readonly signal: AbortSignal;
  abort(reason?: unknown): void;
  /**
   * The signal as the handler reads it (`TaskContext.signal`): its abort listeners then run in
   * the handler's async context, so they can read `TaskContext`.
   */
  handlerSignal?(): AbortSignal;
}

/**
 * An AbortController created on first use. Most tasks never read their signal nor get
 * aborted, and Node's AbortController / AbortSignal pair is costly to build per task.
 */
export class LazyAbortController implements TaskAbort {
  private controller?: AbortController;
  private listener?: (reason: unknown) => void;
  /** Runs the abort in the handler's async context, once the handler read its signal. */
  private inHandlerContext?: (abort: () => void) => void;

  /** Call `listener` on abort, without creating the controller (one listener; isolate pools). */
  onAbort(listener: (reason: unknown) => void): void {
    this.listener = listener;
  }

  get signal(): AbortSignal {
    return this.real().signal;
  }

  handlerSignal(): AbortSignal {
    this.inHandlerContext ??= AsyncLocalStorage.snapshot();
    return this.real().signal;
  }

  /** The abort reason, or undefined while not aborted (without creating the controller). */
  peekReason(): unknown {
    return this.controller?.signal.reason;
  }

  abort(reason?: unknown): void {
    const real = this.real();
    if (real.signal.aborted) return;
    // Aborts come from timers, revocations and shutdown, outside the task's async context.
    if (this.inHandlerContext) this.inHandlerContext(() => real.abort(reason));
    else real.abort(reason);
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
