import { Injectable, Module } from '@nestjs/common';
import { Task, TaskContext } from 'celeriac';

/** Handlers that misbehave in ways the robustness tasks do not cover. */
@Injectable()
export class FaultTasks {
  /** How many times each task id started (`fault.block`). */
  static readonly runs = new Map<string, number>();

  constructor(private readonly ctx: TaskContext) {}

  @Task('fault.circularCause')
  circularCause(): never {
    const error = new Error('outer');
    const inner = new Error('inner', { cause: error });
    (error as { cause?: unknown }).cause = inner;
    throw error;
  }

  @Task('fault.frozen')
  frozen(): never {
    throw Object.freeze({ code: 'FROZEN' });
  }

  @Task('fault.returns')
  returns(kind: string): unknown {
    const values: Record<string, () => unknown> = {
      undefined: () => undefined,
      null: () => null,
      fn: () => () => 1,
      symbol: () => Symbol('s'),
      infinity: () => [Infinity, -Infinity],
      bigint: () => 2n ** 70n,
      set: () => new Set([1]),
      date: () => new Date(0),
      nestedUndefined: () => ({ a: undefined, b: [undefined] }),
    };
    return values[kind]!();
  }

  @Task('fault.retryTwice')
  retryTwice(): never {
    try {
      this.ctx.retry({ countdown: 0, maxRetries: 1 });
    } catch {
      // swallowed: calls it again
    }
    this.ctx.retry({ countdown: 0, maxRetries: 1 });
  }

  @Task('fault.big')
  big(mb: number): string {
    return 'x'.repeat(mb * 2 ** 20);
  }

  @Task('fault.len')
  len(value: string): number {
    return value.length;
  }

  /** Holds the event loop (a synchronous CPU-bound handler): no timer or I/O runs meanwhile. */
  @Task('fault.block')
  block(seconds: number): string {
    FaultTasks.runs.set(this.ctx.id, (FaultTasks.runs.get(this.ctx.id) ?? 0) + 1);
    const end = Date.now() + seconds * 1000;
    while (Date.now() < end) {
      // busy
    }
    return 'blocked';
  }

  /** A string so long that no JSON document holding it fits in a V8 string (~512 MiB). */
  @Task('fault.tooLongJson')
  tooLongJson(): string {
    FaultTasks.runs.set(this.ctx.id, (FaultTasks.runs.get(this.ctx.id) ?? 0) + 1);
    return 'x'.repeat(2 ** 29 - 24 - 16); // V8's longest string is 2 ** 29 - 24 characters
  }

  /** A result of `mb` MiB (counted in `runs`). */
  @Task('fault.bigCounted')
  bigCounted(mb: number): string {
    FaultTasks.runs.set(this.ctx.id, (FaultTasks.runs.get(this.ctx.id) ?? 0) + 1);
    return 'x'.repeat(mb * 2 ** 20);
  }

  /** Throws an error whose message is `mb` MiB long (counted in `runs`). */
  @Task('fault.bigFailure')
  bigFailure(mb: number): never {
    FaultTasks.runs.set(this.ctx.id, (FaultTasks.runs.get(this.ctx.id) ?? 0) + 1);
    throw new Error(`big failure ${'y'.repeat(mb * 2 ** 20)}`);
  }

  @Task('fault.lateReject')
  lateReject(): string {
    setTimeout(() => void Promise.reject(new Error('late rejection')), 10);
    return 'ok';
  }
}

@Module({ providers: [FaultTasks] })
export class FaultModule {}
