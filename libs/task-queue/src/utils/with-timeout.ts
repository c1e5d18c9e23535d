/**
 * Run `operation` within `timeoutMs`; reject with the error `onTimeout` builds otherwise. The
 * verdict waits for one pass of the event loop's I/O after the deadline: when a synchronous
 * stretch (a CPU-bound handler) held the loop past it, the answer may be waiting in the socket,
 * and timers run before I/O is read.
 */
export function withTimeout<T>(
  operation: Promise<T>,
  timeoutMs: number,
  onTimeout: () => Error,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => {
        immediate = setImmediate(() => reject(onTimeout()));
      },
      Math.max(0, timeoutMs),
    );
  });
  return Promise.race([operation, timeout]).finally(() => {
    clearTimeout(timer);
    if (immediate) clearImmediate(immediate);
  });
}

/**
 * One call at a time: `run()` while a call is in flight returns that call instead of starting
 * another (callers that give up on a hung call do not stack new ones behind it).
 */
export class SharedCall<T> {
  private inFlight?: Promise<T>;

  run(start: () => Promise<T>): Promise<T> {
    if (!this.inFlight) {
      const call = start().finally(() => {
        if (this.inFlight === call) this.inFlight = undefined;
      });
      call.catch(() => undefined);
      this.inFlight = call;
    }
    return this.inFlight;
  }
}
