import { getHeapStatistics } from 'node:v8';
import { isMainThread } from 'node:worker_threads';
import type { IsolatedTaskError } from '../../errors/isolated-task.error.js';
import { TaskNotRegisteredError } from '../../errors/task-not-registered.error.js';
import { encodeJson } from '../../protocol/json-codec.js';
import type { TaskDefinition } from '../../tasks/task-definition.js';
import type { TaskRequest } from '../../protocol/task-request.js';
import type { TaskRegistry } from '../../tasks/task.registry.js';
import type { RunningTask } from '../../tasks/task-context.storage.js';
import { isThenable } from '../../utils/is-thenable.js';
import { LazyAbortController } from '../lazy-abort.js';
import type { StateWriter } from '../running-task.js';
import { bindArguments, runWithLimits, validateArguments } from '../task-runner.js';
import { errorInfoOf, signalOf } from './isolate-errors.js';
import type { FromIsolate, IsolateJob, IsolateOutcome } from './isolate-protocol.js';

/** Results of a batch are sent at once, unless a synchronous handler held the loop this long. */
const FLUSH_AFTER_MS = 1;

/**
 * Inside an isolate: runs the jobs the pool sends with the isolate's own task registry (the
 * same `@Task()` methods, DI-built), in the task's async context, and sends outcomes back in
 * batches. The soft time limit aborts `ctx.signal` here; the hard one is the pool's.
 */
export class IsolateRunner {
  private readonly running = new Map<number, LazyAbortController>();
  private outbox: IsolateOutcome[] = [];
  private scheduled = false;

  constructor(
    private readonly registry: TaskRegistry,
    private readonly writer: StateWriter,
    private readonly post: (message: FromIsolate) => void,
    private readonly reportMemory: boolean,
  ) {}

  run(jobs: IsolateJob[]): void {
    let since = performance.now();
    for (const job of jobs) {
      this.start(job);
      const now = performance.now();
      if (now - since > FLUSH_AFTER_MS) {
        this.flush();
        since = now;
      }
    }
  }

  abort(seq: number, reason: IsolatedTaskError): void {
    this.running.get(seq)?.abort(reason);
  }

  private start(job: IsolateJob): void {
    // Sent without its raw message, which nothing in an isolate reads (no republishing here).
    const request = job.request as TaskRequest;
    const hostname = job.hostname;
    const definition = this.registry.get(request.name);
    if (!definition) {
      return this.settle({
        seq: job.seq,
        error: errorInfoOf(new TaskNotRegisteredError(request.name)),
      });
    }
    const controller = new LazyAbortController();
    this.running.set(job.seq, controller);
    const writer = this.writer;
    const context: RunningTask = {
      request,
      hostname,
      deliveryInfo: job.deliveryInfo,
      get signal() {
        return controller.handlerSignal();
      },
      updateState: (state, meta) => writer.state(request, hostname, state, meta),
    };
    try {
      const outcome = this.call(definition, job, context, controller);
      if (isThenable(outcome)) {
        outcome.then(
          (value) => this.succeed(job.seq, value, context),
          (error: unknown) => this.fail(job.seq, error, definition, context),
        );
      } else this.succeed(job.seq, outcome, context);
    } catch (error) {
      this.fail(job.seq, error, definition, context);
    }
  }

  private call(
    definition: TaskDefinition,
    job: IsolateJob,
    context: RunningTask,
    controller: LazyAbortController,
  ): unknown {
    const bound = bindArguments(job.request as TaskRequest, definition);
    const limits = { soft: job.soft };
    const schema = definition.options.schema;
    if (!schema && definition.handler) {
      return runWithLimits(definition.handler, bound, context, controller, limits);
    }
    const args = schema ? validateArguments(schema, bound, job.request.name) : bound;
    return Promise.all([args, definition.handler ?? definition.resolve()]).then(([a, handler]) =>
      runWithLimits(handler, a, context, controller, limits),
    );
  }

  /** The value as wire JSON, and the results the task sent (its `children`, Celery's trail). */
  private succeed(seq: number, value: unknown, context: RunningTask): void {
    let json: string | undefined;
    try {
      json = value === undefined ? undefined : encodeResult(value);
    } catch (error) {
      return this.settle({ seq, error: errorInfoOf(error) });
    }
    const outcome: IsolateOutcome = json === undefined ? { seq } : { seq, json };
    if (context.children?.length) outcome.children = context.children;
    this.settle(outcome);
  }

  private fail(
    seq: number,
    error: unknown,
    definition: TaskDefinition,
    context: RunningTask,
  ): void {
    const signal = signalOf(error);
    const outcome: IsolateOutcome = signal
      ? { seq, signal }
      : { seq, error: errorInfoOf(error, definition.options) };
    if (context.children?.length) outcome.children = context.children;
    this.settle(outcome);
  }

  private settle(outcome: IsolateOutcome): void {
    this.running.delete(outcome.seq);
    this.outbox.push(outcome);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    if (!this.outbox.length) return;
    const outcomes = this.outbox;
    this.outbox = [];
    this.post(
      this.reportMemory ? { k: 'done', outcomes, memory: memoryNow() } : { k: 'done', outcomes },
    );
  }
}

/** The wire's JSON text of a return value (NaN and ±Infinity as Python's float tokens). */
function encodeResult(value: unknown): string {
  return encodeJson(value, 'result');
}

/** Bytes: the V8 heap of a thread (its own), the resident set of a process. */
function memoryNow(): number {
  return isMainThread ? process.memoryUsage.rss() : getHeapStatistics().used_heap_size;
}
