import { Injectable, Module } from '@nestjs/common';
import { EventEmitter, once } from 'node:events';
import { OnTaskEvent } from '../tasks/on-task-event.decorator.js';
import { Task } from '../tasks/task.decorator.js';
import { Ignore, Reject, UnrecoverableError } from '../errors/task-signals.js';
import { TaskContext } from '../tasks/task-context.js';
import type { TaskEvent } from '../tasks/task-events.js';

export class FlakyError extends Error {
  override name = 'FlakyError';
}
export class FatalFlakyError extends FlakyError {
  override name = 'FatalFlakyError';
}

/** Tasks exercising every execution rule. */
@Injectable()
export class SemanticsTasks {
  readonly runs = new Map<string, number[]>();
  readonly starts: number[] = [];
  readonly abortSeen: string[] = [];
  constructor(private readonly ctx: TaskContext) {}

  private count(key: string): number {
    const list = this.runs.get(key) ?? [];
    list.push(Date.now());
    this.runs.set(key, list);
    return list.length;
  }

  @Task('sem.autoretry', {
    autoretryFor: [FlakyError],
    dontAutoretryFor: [FatalFlakyError],
    maxRetries: 2,
    retryBackoff: 2,
    retryJitter: false,
  })
  autoretry(key: string, mode: 'flaky' | 'fatal' | 'flaky-once'): string {
    const n = this.count(key);
    if (mode === 'fatal') throw new FatalFlakyError('fatal');
    if (mode === 'flaky' || n === 1) throw new FlakyError(`attempt ${n}`);
    return `ok after ${n}`;
  }

  @Task('sem.retry', { maxRetries: 5 })
  manual(key: string, until: number): number {
    this.count(key);
    if (this.ctx.retries < until) this.ctx.retry({ countdown: 5 });
    return this.ctx.retries;
  }

  /** Retries with a countdown no date can hold (a unit mistake, or a division by zero). */
  @Task('sem.retry-never', { maxRetries: 5 })
  retryNever(): never {
    this.ctx.retry({ countdown: Number.POSITIVE_INFINITY });
  }

  /** Reports progress JSON cannot carry (a Map), and lets updateState's error end the task. */
  @Task('sem.progress-map')
  async progressMap(): Promise<string> {
    await this.ctx.updateState('PROGRESS', { byCountry: new Map([['fr', 2]]) });
    return 'reported';
  }

  @Task('sem.unrecoverable', { autoretryFor: [Error] })
  unrecoverable(key: string): never {
    this.count(key);
    throw new UnrecoverableError('no point retrying');
  }

  @Task('sem.ignore')
  ignore(): never {
    throw new Ignore();
  }

  @Task('sem.reject')
  reject(): never {
    throw new Reject('refused by handler');
  }

  @Task('sem.soft', { softTimeLimit: 1 })
  async soft(): Promise<string> {
    const signal = this.ctx.signal;
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    return (signal.reason as Error).name;
  }

  /** Passes its signal to a Node API, which rejects with an AbortError caused by the reason. */
  @Task('sem.soft-once', { softTimeLimit: 1 })
  async softOnce(): Promise<void> {
    await once(new EventEmitter(), 'never', { signal: this.ctx.signal });
  }

  /** After its soft limit, `fetch` on another, aborted signal: that AbortError is its own. */
  @Task('sem.soft-foreign', { softTimeLimit: 1 })
  async softForeign(): Promise<void> {
    const signal = this.ctx.signal;
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    await fetch('http://127.0.0.1:9/', { signal: AbortSignal.abort() });
  }

  /** A library that rejects on its signal with its own AbortError, dropping the reason. */
  @Task('sem.soft-dropped-cause', { softTimeLimit: 1 })
  async softDroppedCause(): Promise<void> {
    const signal = this.ctx.signal;
    await new Promise((_, reject) =>
      signal.addEventListener(
        'abort',
        () =>
          reject(Object.assign(new Error('The user aborted a request.'), { name: 'AbortError' })),
        { once: true },
      ),
    );
  }

  /** Reads TaskContext inside its abort listener, as handlers naturally do. */
  @Task('sem.soft-listener', { softTimeLimit: 1 })
  async softListener(): Promise<string> {
    return new Promise((resolve) =>
      this.ctx.signal.addEventListener('abort', () => {
        const seen = this.ctx.active
          ? `${this.ctx.id} ${(this.ctx.signal.reason as Error).name}`
          : 'outside the task';
        this.abortSeen.push(seen);
        resolve(seen);
      }),
    );
  }

  @Task('sem.hard', { timeLimit: 1 })
  async hard(): Promise<string> {
    await new Promise((resolve) => setTimeout(resolve, 3_600_000));
    return 'never';
  }

  @Task('sem.rate', { rateLimit: '2/s' })
  rate(): number {
    this.starts.push(Date.now());
    return this.starts.length;
  }

  @Task('sem.quick')
  quick(key: string): string {
    this.count(key);
    return key;
  }

  @Task('sem.dedupe', { dedupe: true })
  dedupe(key: string): number {
    return this.count(key);
  }

  @Task('sem.early', { acksLate: false })
  async early(key: string): Promise<string> {
    this.count(key);
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    return 'done';
  }
}

@Injectable()
export class SemanticsListeners {
  readonly seen: Array<Pick<TaskEvent, 'type' | 'name' | 'state'> & { cause?: string }> = [];

  @OnTaskEvent('task-failed', { task: 'sem.*' })
  failed(event: TaskEvent): void {
    this.seen.push({ type: event.type, name: event.name, cause: (event.cause as Error).name });
  }

  @OnTaskEvent('task-retried', { task: 'sem.retry' })
  retried(event: TaskEvent): void {
    this.seen.push({ type: event.type, name: event.name });
  }

  @OnTaskEvent('task-returned')
  returned(event: TaskEvent): void {
    this.seen.push({ type: event.type, name: event.name, state: event.state });
    if (event.name === 'sem.quick') throw new Error('a broken listener must not hurt the task');
  }
}

@Module({ providers: [SemanticsTasks, SemanticsListeners] })
export class SemanticsModule {}
