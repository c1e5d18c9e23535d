/** Run `operation` within `timeoutMs`; reject with the error `onTimeout` builds otherwise. */
export function withTimeout<T>(
  operation: Promise<T>,
  timeoutMs: number,
  onTimeout: () => Error,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), Math.max(0, timeoutMs));
  });
  return Promise.race([operation, timeout]).finally(() => clearTimeout(timer));
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
