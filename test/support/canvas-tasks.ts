import { Injectable } from '@nestjs/common';
import { Task, TaskContext } from 'celeriac';

/** Raised by `interop.fail`; Python sees an exception class named CanvasError. */
export class CanvasError extends Error {
  override name = 'CanvasError';
}

/**
 * The tasks of the canvas e2e suites, under the names Python's test/fixtures/python/canvas_app.py
 * also registers, so the same canvas runs on Node workers, Python workers or both.
 */
@Injectable()
export class CanvasTasks {
  constructor(private readonly ctx: TaskContext) {}

  @Task('interop.add', { params: ['x', 'y'] })
  add(x: number, y: number): number {
    return x + y;
  }

  @Task('interop.mul', { params: ['x', 'y'] })
  mul(x: number, y: number): number {
    return x * y;
  }

  @Task('interop.tsum', { params: ['nums'] })
  tsum(nums: number[]): number {
    return nums.reduce((a, b) => a + b, 0);
  }

  @Task('interop.fail', { params: ['message'] })
  fail(message: string): never {
    throw new CanvasError(message);
  }

  /** Retries `times` times (countdown 0, at most 3 retries), then returns `x`. */
  @Task('interop.flaky', { params: ['x', 'times'], maxRetries: 3 })
  flaky(x: number, times: number): number {
    if (this.ctx.retries < times) this.ctx.retry({ countdown: 0 });
    return x;
  }

  /** Returns its arguments and the worker language: `{ args, lang: 'node' }`. */
  @Task('interop.echo')
  echo(...args: unknown[]): { args: unknown[]; lang: string } {
    void this.ctx;
    return { args, lang: 'node' };
  }

  /** Waits `ms` (Node only), ending early when aborted (revoke with terminate). */
  @Task('interop.nap', { params: ['ms'], trackStarted: true })
  async nap(ms: number): Promise<number> {
    const signal = this.ctx.signal;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, ms);
      signal.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(signal.reason as Error);
      });
    });
    return ms;
  }
}
