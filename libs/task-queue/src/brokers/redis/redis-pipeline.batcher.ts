import type { Redis } from 'ioredis';

type Caller = (...args: (string | number)[]) => unknown;

/**
 * Runs one send (a single call or a whole pipeline) under the owner's guard, e.g. "wait until
 * Redis is ready, give up after the timeout": one timer per batch instead of one per call.
 * `count` is the number of calls in it, for error messages.
 */
export type BatchGuard = <T>(count: number, send: () => Promise<T>) => Promise<T>;

interface Pending {
  args: (string | number)[];
  resolve: (reply: unknown) => void;
  reject: (error: unknown) => void;
}

/** Most calls sent in one pipeline; a full batch is sent at once. */
const MAX_BATCH = 512;

/**
 * Coalesces the calls of one Lua command (defined with `defineLuaCommands`) issued during the
 * same event-loop turn into one pipeline: one socket write and one round trip for a burst
 * (e.g. the results of every task a worker finished in that turn, or a producer's publishes)
 * instead of one each. Every call still gets its own reply or error. A lone call is sent as
 * it is, so an idle system pays no batching latency beyond the end of the current turn.
 */
export class RedisPipelineBatcher {
  private pending: Pending[] = [];
  private scheduled = false;

  /**
   * @param command the client command name, e.g. `celeriac_store`
   * @param guard wraps every send (readiness wait, timeout)
   */
  constructor(
    private readonly client: Redis,
    private readonly command: string,
    private readonly guard: BatchGuard,
  ) {}

  call(...args: (string | number)[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.pending.push({ args, resolve, reject });
      if (this.pending.length >= MAX_BATCH) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Send everything pending now. */
  flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    if (batch.length === 1) {
      const only = batch[0]!;
      this.guard(1, async () => this.caller(this.client)(...only.args)).then(
        only.resolve,
        only.reject,
      );
      return;
    }
    this.guard(batch.length, () => {
      const pipeline = this.client.pipeline();
      const call = this.caller(pipeline);
      for (const p of batch) call(...p.args);
      return pipeline.exec();
    }).then(
      (replies) => {
        batch.forEach((p, i) => {
          const [error, reply] = replies?.[i] ?? [new Error('no reply in the pipeline')];
          if (error) p.reject(error);
          else p.resolve(reply);
        });
      },
      (error: unknown) => batch.forEach((p) => p.reject(error)),
    );
  }

  private caller(target: object): Caller {
    const fn = (target as Record<string, Caller>)[this.command];
    if (typeof fn !== 'function') throw new Error(`Redis command ${this.command} is not defined`);
    return fn.bind(target);
  }
}
