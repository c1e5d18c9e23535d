import { Injectable } from '@nestjs/common';
import { Task, TaskContext } from 'celeriac';

/** Raised by `interop.fail`; Python sees an exception class named InteropError. */
export class InteropError extends Error {
  override name = 'InteropError';
}

const flakyAttempts = new Map<string, number>();

/**
 * Tasks a Python Celery app can call by name on a Celeriac worker — and the example to copy
 * when serving Python callers: explicit names, `params` for keyword arguments.
 */
@Injectable()
export class InteropTasks {
  constructor(private readonly ctx: TaskContext) {}

  @Task('interop.add', { params: ['x', 'y'] })
  add(x: number, y: number): number {
    return x + y;
  }

  /** Sum a list: the chord body Python builds as `interop.tsum.s()`. */
  @Task('interop.tsum', { params: ['nums'] })
  tsum(nums: number[]): number {
    return nums.reduce((a, b) => a + b, 0);
  }

  /** Returns what arrived, proving kwargs cross the wire. */
  @Task('interop.echo')
  echo(...args: unknown[]): { args: unknown[]; kwargs: Record<string, unknown> } {
    return { args, kwargs: this.ctx.kwargs };
  }

  /** The nodename of the worker that ran it: where a routed task (worker_direct) landed. */
  @Task('interop.whoami')
  whoami(): { hostname: string } {
    return { hostname: this.ctx.hostname };
  }

  /** Returns at once, leaving a rejected promise nobody awaits (a send without await). */
  @Task('interop.stray_rejection', { params: ['message'] })
  strayRejection(message: string): string {
    void Promise.reject(new InteropError(message));
    return 'returned';
  }

  /** Returns at once; a timer it started throws afterwards (outside the task's promise). */
  @Task('interop.stray_throw', { params: ['message'] })
  strayThrow(message: string): string {
    setTimeout(() => {
      throw new InteropError(message);
    }, 50);
    return 'returned';
  }

  @Task('interop.fail', { params: ['message'] })
  fail(message: string): never {
    throw new InteropError(message);
  }

  /** Sleeps `seconds`, and stops early when aborted (revoke terminate, time limits, shutdown). */
  @Task('interop.sleep', { params: ['seconds'] })
  async sleep(seconds: number): Promise<number> {
    const signal = this.ctx.signal;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, seconds * 1000);
      signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          reject(signal.reason as Error);
        },
        { once: true },
      );
    });
    return seconds;
  }

  /** Like `interop.sleep`, storing STARTED (pid, hostname) first: Celery's `track_started`. */
  @Task('interop.tracked', { params: ['seconds'], trackStarted: true })
  tracked(seconds: number): Promise<number> {
    return this.sleep(seconds);
  }

  /**
   * Retries after `countdown` seconds (default 1) until it has retried `times` times, then
   * returns the retry count.
   */
  @Task('interop.flaky', { params: ['key', 'times', 'countdown'], maxRetries: null })
  flaky(key: string, times: number, countdown = 1): number {
    flakyAttempts.set(key, (flakyAttempts.get(key) ?? 0) + 1);
    if (this.ctx.retries < times) this.ctx.retry({ countdown });
    return this.ctx.retries;
  }

  /** Retries once at `eta` (ISO 8601), then returns the retry count. */
  @Task('interop.retry_at', { params: ['eta'], maxRetries: 1 })
  retryAt(eta: string): number {
    if (this.ctx.retries < 1) this.ctx.retry({ eta: new Date(eta) });
    return this.ctx.retries;
  }
}
