import type { SignatureLike } from '../../contracts/apply-options.interface.js';
import type { SignatureDict } from '../../contracts/task-message.interface.js';
import { ConfigurationError } from '../../errors/configuration.error.js';
import type { AsyncResult } from '../../results/async-result.js';
import { randomUUID } from 'node:crypto';
import { GroupResult, type ResultHandle } from '../../results/group-result.js';
import type { AnyArgs, CanvasCommitTarget, CanvasRunner } from './canvas-types.js';
import { celeryOptions, toDict, type SignatureOptions } from './signature-options.js';
import { extendListOption } from './signature.js';

/**
 * What every canvas shares (Celery's `Signature`): a signature dict in Celery's shape, options
 * set with `.set()`, and `applyAsync()` / `delay()` through the module's producer. `A` are the
 * free arguments (prepended when applied, unless immutable), `R` the value it produces and
 * `H` the handle `applyAsync()` resolves.
 * @publicApi
 */
export abstract class Canvas<A extends AnyArgs, R, H extends ResultHandle> {
  /** Types only (see CanvasLike); never set. */
  declare readonly __call?: (...args: A) => R;

  constructor(
    protected readonly dict: SignatureDict,
    protected readonly runner: CanvasRunner | null,
  ) {}

  /** The task name (`celery.chain`, `celery.group`, `celery.chord` for composites). */
  get name(): string {
    return this.dict.task;
  }

  /** The options set so far, under Celery's names. */
  get options(): Readonly<Record<string, unknown>> {
    return this.dict.options;
  }

  /** A copy with these options added (Celery's `.set()`); this canvas is left unchanged. */
  set(options: SignatureOptions): this {
    return this.with({
      ...this.toJSON(),
      options: { ...this.dict.options, ...celeryOptions(options) },
    });
  }

  /** The signature dict Celery sends (a deep copy). */
  toJSON(): SignatureDict {
    return structuredClone(this.dict);
  }

  /** Send the canvas with these leading arguments (Celery's `apply_async`). */
  applyAsync(args?: A, options: SignatureOptions = {}): Promise<H> {
    return this.requireRunner().apply(this.toJSON(), {
      args: args ?? [],
      options: celeryOptions(options),
    }) as Promise<H>;
  }

  /** `applyAsync(args)`. */
  delay(...args: A): Promise<H> {
    return this.applyAsync(args);
  }

  /**
   * Send once the current TypeORM transaction commits (outbox mode: written to the outbox in
   * the transaction); resolves the handle at once, like `TaskProducer.applyAsyncOnCommit`.
   */
  applyAsyncOnCommit(args?: A, options: SignatureOptions & CanvasCommitTarget = {}): Promise<H> {
    const { manager, ...rest } = options;
    return this.requireRunner().applyOnCommit(
      this.toJSON(),
      { args: args ?? [], options: celeryOptions(rest) },
      { manager },
    ) as Promise<H>;
  }

  /** A copy with `sig` appended to the list option `name` (`link`, `link_error`). */
  protected withListOption(name: 'link' | 'link_error', sig: SignatureLike): this {
    const dict = this.toJSON();
    extendListOption(dict, name, [toDict(sig)]);
    return this.with(dict);
  }

  /** The same canvas over another dict (subclasses share the constructor's shape). */
  protected with(dict: SignatureDict): this {
    const Type = this.constructor as new (dict: SignatureDict, runner: CanvasRunner | null) => this;
    return new Type(dict, this.runner);
  }

  private requireRunner(): CanvasRunner {
    if (!this.runner) {
      throw new ConfigurationError(
        `Cannot apply ${this.dict.task}: it was built without a producer. Build signatures ` +
          `with producer.s() or TaskClient.signature(), or compose at least one of them.`,
      );
    }
    return this.runner;
  }
}

/**
 * One task with (partial) arguments and options: `producer.s(2)`, `producer.si(2, 2)`,
 * `client.signature('proj.add', [2])`.
 * @publicApi
 */
export class Signature<A extends AnyArgs = AnyArgs, R = unknown> extends Canvas<
  A,
  R,
  AsyncResult<R>
> {
  /** True for `.si()`: the previous step's result is not prepended. */
  get immutable(): boolean {
    return this.dict.immutable;
  }

  get args(): readonly unknown[] {
    return this.dict.args;
  }

  get kwargs(): Readonly<Record<string, unknown>> {
    return this.dict.kwargs;
  }

  /** A copy that also applies `callback` with the return value on success (Celery's `link`). */
  link(callback: SignatureLike): this {
    return this.withListOption('link', callback);
  }

  /** A copy that also applies `errback` with the task id on failure (`link_error`). */
  linkError(errback: SignatureLike): this {
    return this.withListOption('link_error', errback);
  }
}

/** `chain(a, b, c)`: each step gets the previous one's result. @publicApi */
export class Chain<A extends AnyArgs = AnyArgs, R = unknown> extends Canvas<A, R, AsyncResult<R>> {
  /** A copy whose last step also applies `callback` with its value (Celery's `chain.link`). */
  link(callback: SignatureLike): this {
    return this.withListOption('link', callback);
  }

  /**
   * A copy where every step applies `errback` with the failed step's id (Celery's
   * `chain.on_error` / `link_error`).
   */
  linkError(errback: SignatureLike): this {
    return this.withListOption('link_error', errback);
  }
}

/** `group(a, b)`: members run in parallel; the handle is a GroupResult. @publicApi */
export class Group<
  A extends AnyArgs = AnyArgs,
  R extends readonly unknown[] = unknown[],
> extends Canvas<A, R, GroupResult<R>> {
  /**
   * As Celery's `group([]).apply_async()`: a group of no tasks sends nothing and resolves an
   * empty GroupResult (`get()` resolves `[]`), so `group(...items.map(...))` needs no guard.
   */
  override applyAsync(args?: A, options: SignatureOptions = {}): Promise<GroupResult<R>> {
    if (this.isEmpty()) return Promise.resolve(this.empty(options.taskId));
    return super.applyAsync(args, options);
  }

  override applyAsyncOnCommit(
    args?: A,
    options: SignatureOptions & CanvasCommitTarget = {},
  ): Promise<GroupResult<R>> {
    if (this.isEmpty()) return Promise.resolve(this.empty(options.taskId));
    return super.applyAsyncOnCommit(args, options);
  }

  private isEmpty(): boolean {
    const tasks = this.dict.kwargs.tasks;
    return Array.isArray(tasks) && tasks.length === 0;
  }

  private empty(taskId: string | undefined): GroupResult<R> {
    const id =
      taskId ??
      (typeof this.dict.options.task_id === 'string' ? this.dict.options.task_id : randomUUID());
    return new GroupResult<R>(id, [], null);
  }
}

/** `chord(header, body)`: the body gets the list of header results. @publicApi */
export class Chord<A extends AnyArgs = AnyArgs, R = unknown> extends Canvas<A, R, AsyncResult<R>> {
  /** A copy whose body also applies `callback` with its value (Celery's `chord.link`). */
  link(callback: SignatureLike): this {
    return this.withListOption('link', callback);
  }

  /**
   * A copy whose body applies `errback` on failure, a failed header included (ChordError), as
   * Celery's `chord.link_error`.
   */
  linkError(errback: SignatureLike): this {
    return this.withListOption('link_error', errback);
  }
}
