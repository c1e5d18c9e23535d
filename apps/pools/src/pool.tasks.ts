import { Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { threadId } from 'node:worker_threads';
import { Task, TaskClient, TaskContext } from 'celeriac';

/** Memory a `pools.hog` task keeps alive in its isolate (memory recycling). */
const retained: number[][] = [];
/** Tasks this isolate ran (recycling). */
let served = 0;

function spin(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // Busy: never yields to the event loop.
  }
}

async function fanout(client: TaskClient, n: number, fail = false): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await client.send('pools.short', [i])).id);
  if (fail) throw new Error(`failed after sending ${n}`);
  return ids;
}

function whoami(): { thread: number; pid: number; served: number } {
  return { thread: threadId, pid: process.pid, served: ++served };
}

/** Tasks of the isolate-pool fixture: CPU-bound, limited, crashing, context-reading. */
@Injectable()
export class PoolTasks {
  constructor(
    private readonly ctx: TaskContext,
    private readonly client: TaskClient,
  ) {}

  @Task('pools.noop', { pool: 'threads' })
  noop(): null {
    return null;
  }

  @Task('pools.noop_process', { pool: 'processes' })
  noopProcess(): null {
    return null;
  }

  @Task('pools.noop_inline', { pool: 'inline' })
  noopInline(): null {
    return null;
  }

  @Task('pools.spin', { pool: 'threads' })
  spin(ms: number): { thread: number; pid: number; served: number } {
    spin(ms);
    return whoami();
  }

  @Task('pools.spin_process', { pool: 'processes' })
  spinProcess(ms: number): { thread: number; pid: number; served: number } {
    spin(ms);
    return whoami();
  }

  /**
   * Sends `pools.short` n times from the isolate; returns the ids (the result's children), or
   * fails after sending them when `fail` is set.
   */
  @Task('pools.fanout', { pool: 'threads' })
  fanout(n: number, fail = false): Promise<string[]> {
    return fanout(this.client, n, fail);
  }

  @Task('pools.fanout_inline', { pool: 'inline' })
  fanoutInline(n: number, fail = false): Promise<string[]> {
    return fanout(this.client, n, fail);
  }

  @Task('pools.fanout_process', { pool: 'processes' })
  fanoutProcess(n: number): Promise<string[]> {
    return fanout(this.client, n);
  }

  @Task('pools.short', { pool: 'inline' })
  short(i: number): number {
    return i;
  }

  @Task('pools.limited', { pool: 'threads', timeLimit: 0.5 })
  limited(ms: number): string {
    spin(ms);
    return 'finished';
  }

  @Task('pools.limited_process', { pool: 'processes', timeLimit: 0.5 })
  limitedProcess(ms: number): string {
    spin(ms);
    return 'finished';
  }

  @Task('pools.whoami', { pool: 'threads' })
  whoami(): { thread: number; pid: number; served: number } {
    return whoami();
  }

  @Task('pools.whoami_process', { pool: 'processes' })
  whoamiProcess(): { thread: number; pid: number; served: number } {
    return whoami();
  }

  @Task('pools.hog', { pool: 'threads' })
  hog(mb: number): { thread: number; pid: number; served: number } {
    // About 1 MB of V8 heap per array (doubles), kept until the isolate is recycled.
    for (let i = 0; i < mb; i++) retained.push(new Array<number>(131_072).fill(i + 0.5));
    return whoami();
  }

  @Task('pools.crash', { pool: 'threads' })
  crash(mode: 'exit' | 'uncaught'): Promise<string> {
    return crash(mode);
  }

  @Task('pools.crash_process', { pool: 'processes' })
  crashProcess(mode: 'exit' | 'uncaught' | 'kill'): Promise<string> {
    return crash(mode);
  }

  /** Returns at once, leaving a timer that throws 100 ms later and kills its isolate. */
  @Task('pools.leaky_timer', { pool: 'threads' })
  leakyTimer(): string {
    setTimeout(() => {
      throw new Error('thrown by a timer a task left behind');
    }, 100);
    return 'returned';
  }

  /** Dies on its first delivery; requeued (rejectOnWorkerLost), it succeeds the second time. */
  @Task('pools.crash_once', { pool: 'threads', rejectOnWorkerLost: true })
  crashOnce(): string {
    if (!this.ctx.deliveryInfo.redelivered) process.exit(7);
    return 'second delivery';
  }

  @Task('pools.context', { pool: 'threads', softTimeLimit: 0.2, params: ['a', 'b'] })
  async context(a: number, b: number): Promise<Record<string, unknown>> {
    const signal = this.ctx.signal;
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    return {
      id: this.ctx.id,
      hostname: this.ctx.hostname,
      sum: a + b,
      aborted: (signal.reason as Error).name,
      thread: threadId,
    };
  }

  /** Waits in a child process until its signal is aborted (revoke with SIGUSR1), then returns. */
  @Task('pools.wait_abort_process', { pool: 'processes' })
  async waitAbortProcess(): Promise<string> {
    const signal = this.ctx.signal;
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    return (signal.reason as Error).name;
  }

  /** The mean of nothing is NaN: stored as Python's json writes float('nan'). */
  @Task('pools.mean', { pool: 'threads' })
  mean(values: number[]): number {
    return values.reduce((sum, value) => sum + value, 0) / values.length;
  }

  @Task('pools.cyclic', { pool: 'threads' })
  cyclic(): unknown {
    const value: Record<string, unknown> = {};
    value.self = value;
    return value;
  }

  /** Spins forever, past its soft and hard limits: only stopping the isolate ends it. */
  @Task('pools.forever', { pool: 'threads', softTimeLimit: 0.2, timeLimit: 0.6 })
  forever(): never {
    for (;;) {
      // Never yields.
    }
  }

  @Task('pools.forever_process', { pool: 'processes', softTimeLimit: 0.2, timeLimit: 0.6 })
  foreverProcess(): never {
    for (;;) {
      // Never yields.
    }
  }

  /** A promise that never settles, under a hard limit. */
  @Task('pools.hang', { pool: 'threads', timeLimit: 0.5 })
  hang(): Promise<never> {
    return new Promise<never>(() => undefined);
  }

  /** Keeps allocating until the isolate's heap cap (maxHeapMb) stops it. */
  @Task('pools.leak', { pool: 'threads' })
  leak(): never {
    const kept: number[][] = [];
    for (;;) kept.push(new Array<number>(131_072).fill(kept.length + 0.5));
  }

  @Task('pools.leak_process', { pool: 'processes' })
  leakProcess(): never {
    const kept: number[][] = [];
    for (;;) kept.push(new Array<number>(131_072).fill(kept.length + 0.5));
  }

  /** Returns what JSON cannot carry: a function, or an object whose getter throws. */
  @Task('pools.unclonable', { pool: 'threads' })
  unclonable(kind: 'function' | 'getter'): unknown {
    if (kind === 'function') return () => 1;
    return {
      get boom(): never {
        throw new Error('getter exploded');
      },
    };
  }

  /** Retries twice from its child process (an eta, then a countdown), then returns. */
  @Task('pools.retry_process', { pool: 'processes', maxRetries: 5 })
  retryProcess(): { retries: number } {
    const retries = this.ctx.retries;
    if (retries === 0) this.ctx.retry({ eta: new Date(Date.now() + 100) });
    if (retries === 1) this.ctx.retry({ countdown: 0.1, error: new TypeError('again') });
    return { retries };
  }

  /** Waits `ms` without holding the loop (shutdown and revoke scenarios). */
  @Task('pools.nap_process', { pool: 'processes' })
  async napProcess(ms: number): Promise<{ pid: number }> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return { pid: process.pid };
  }

  /** Passes its signal to a Node API, which rejects with an AbortError caused by the reason. */
  @Task('pools.soft_node_api', { pool: 'threads', softTimeLimit: 0.2 })
  async softNodeApi(): Promise<void> {
    await sleep(30_000, undefined, { signal: this.ctx.signal });
  }

  @Task('pools.soft_node_api_process', { pool: 'processes', softTimeLimit: 0.2 })
  async softNodeApiProcess(): Promise<void> {
    await sleep(30_000, undefined, { signal: this.ctx.signal });
  }

  /** After its soft limit, `fetch` on another, aborted signal: that AbortError is its own. */
  @Task('pools.soft_foreign_abort', { pool: 'threads', softTimeLimit: 0.2 })
  async softForeignAbort(): Promise<void> {
    const signal = this.ctx.signal;
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    await fetch('http://127.0.0.1:9/', { signal: AbortSignal.abort() });
  }

  @Task('pools.fails', { pool: 'threads', maxRetries: 0 })
  fails(): never {
    throw new RangeError('out of range in an isolate');
  }
}

/** Never settles: the isolate dies first (exit, SIGKILL, or an error thrown outside the handler). */
function crash(mode: string): Promise<string> {
  if (mode === 'exit') process.exit(3);
  if (mode === 'kill') process.kill(process.pid, 'SIGKILL');
  return new Promise(() =>
    setImmediate(() => {
      throw new Error('uncaught in an isolate');
    }),
  );
}
