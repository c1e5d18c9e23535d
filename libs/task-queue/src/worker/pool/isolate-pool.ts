import { Logger } from '@nestjs/common';
import type { ResolvedIsolateOptions } from '../../config/resolved-options.js';
import { ConfigurationError } from '../../errors/configuration.error.js';
import { TaskRevokedError } from '../../errors/task-revoked.error.js';
import { TimeLimitExceededError } from '../../errors/time-limit.error.js';
import { WorkerLostError } from '../../errors/worker-lost.error.js';
import { decodeJson } from '../../protocol/json-codec.js';
import { LazyAbortController } from '../lazy-abort.js';
import { errorInfoOf, rebuildError } from './isolate-errors.js';
import { spawnProcess, spawnThread } from './isolate-handle.js';
import { IsolateMember, type PendingTask } from './isolate-member.js';
import type { FromIsolate, IsolateInit, IsolateOutcome } from './isolate-protocol.js';
import type { PoolStats, PoolTask, TaskPool } from './task-pool.js';

const CLOSE_GRACE_MS = 2_000;
const MAX_BACKOFF_MS = 30_000;
const SPAWN_DELAY_MS = 100;

/**
 * A supervised pool of isolates (worker threads or child processes), each booted once from
 * the worker's Nest module: `size` serve tasks, `spare` more are booted and idle so that a
 * replaced isolate never leaves the pool short. It enforces hard time limits by stopping the
 * isolate, replaces isolates that die (their tasks fail with WorkerLostError), and recycles
 * them between tasks after `maxTasksPerChild` tasks or above `maxMemoryPerChild`.
 */
export class IsolatePool implements TaskPool {
  private readonly logger = new Logger('TaskQueue');
  private readonly live = new Set<IsolateMember>();
  private serving: IsolateMember[] = [];
  private spares: IsolateMember[] = [];
  private readonly queue: PendingTask[] = [];
  private readonly init: IsolateInit;
  private seq = 0;
  private replaced = 0;
  private backoff = 0;
  private closed = false;
  private startup?: { waiting: number; resolve(): void; reject(error: Error): void };

  constructor(
    readonly kind: 'threads' | 'processes',
    private readonly options: ResolvedIsolateOptions,
    private readonly entry: URL,
    moduleUrl: string,
  ) {
    this.init = {
      moduleUrl,
      exportName: options.export,
      reportMemory: options.maxMemoryPerChild !== undefined,
    };
  }

  /** Boot `size + spare` isolates; resolves when all are ready, rejects if one cannot boot. */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.startup = { waiting: this.options.size + this.options.spare, resolve, reject };
      for (let i = 0; i < this.options.size; i++) this.serving.push(this.spawn('serving'));
      for (let i = 0; i < this.options.spare; i++) this.spares.push(this.spawn('spare'));
    });
  }

  run(task: PoolTask): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const pending: PendingTask = { seq: ++this.seq, task, resolve, reject, settled: false };
      const controller = task.controller;
      if (controller instanceof LazyAbortController) {
        controller.onAbort((reason) => this.aborted(pending, reason));
      } else {
        controller.signal.addEventListener(
          'abort',
          () => this.aborted(pending, controller.signal.reason),
          { once: true },
        );
      }
      if (this.closed) reject(new WorkerLostError('the pool is closed'));
      else if (!this.dispatch(pending)) this.queue.push(pending);
    });
  }

  isolateOf(taskId: string): number | undefined {
    for (const member of this.live) {
      for (const pending of member.inFlight.values()) {
        if (pending.task.request.id === taskId) return member.handle.id;
      }
    }
    return undefined;
  }

  stats(): PoolStats {
    return {
      implementation: `celeriac:${this.kind}`,
      'max-concurrency': this.options.size * this.options.inFlight,
      processes: this.serving.map((m) => m.handle.id),
      'max-tasks-per-child': this.options.maxTasksPerChild ?? 'N/A',
      spares: this.spares.filter((m) => m.ready).length,
      replaced: this.replaced,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const pending of this.queue.splice(0))
      this.settle(pending, new WorkerLostError('the pool closed'));
    const members = [...this.live];
    for (const member of members) {
      for (const pending of member.inFlight.values()) {
        this.settle(pending, new WorkerLostError('the pool closed'));
      }
      member.dead = true;
      member.handle.send({ k: 'close' });
      setTimeout(() => member.handle.kill(), CLOSE_GRACE_MS).unref();
    }
    await Promise.all(members.map((m) => m.exited));
  }

  private spawn(role: IsolateMember['role']): IsolateMember {
    const member = new IsolateMember(role);
    const spawn = this.kind === 'threads' ? spawnThread : spawnProcess;
    member.handle = spawn(
      { entry: this.entry, init: this.init, maxHeapMb: this.options.maxHeapMb },
      {
        message: (message) => this.onMessage(member, message),
        exit: (detail) => this.onExit(member, detail),
      },
    );
    member.bootTimer = setTimeout(
      () => this.bootFailed(member, `not ready after ${this.options.bootTimeout} ms`),
      this.options.bootTimeout,
    );
    this.live.add(member);
    return member;
  }

  private onMessage(member: IsolateMember, message: FromIsolate): void {
    if (member.dead) return;
    switch (message.k) {
      case 'done':
        return this.done(member, message.outcomes, message.memory);
      case 'ready':
        clearTimeout(member.bootTimer);
        member.ready = true;
        this.backoff = 0;
        if (this.startup && --this.startup.waiting === 0) {
          this.startup.resolve();
          this.startup = undefined;
        }
        return this.drain();
      case 'boot-failed':
        return this.bootFailed(member, `${message.error.name}: ${message.error.message}`);
    }
  }

  private done(member: IsolateMember, outcomes: IsolateOutcome[], memory?: number): void {
    for (const outcome of outcomes) {
      const pending = member.inFlight.get(outcome.seq);
      if (!pending) continue;
      member.inFlight.delete(outcome.seq);
      member.served++;
      this.settle(
        pending,
        outcome.signal || outcome.error ? rebuildError(outcome) : undefined,
        outcome.json,
      );
    }
    const { maxTasksPerChild, maxMemoryPerChild } = this.options;
    if (!member.retiring) {
      if (maxTasksPerChild && member.served >= maxTasksPerChild) {
        this.retire(member, `it ran ${member.served} tasks (maxTasksPerChild)`);
      } else if (maxMemoryPerChild && memory !== undefined && memory > maxMemoryPerChild * 1024) {
        this.retire(
          member,
          `it uses ${Math.round(memory / 1024)} KiB (maxMemoryPerChild ${maxMemoryPerChild})`,
        );
      }
    }
    if (member.retiring && member.inFlight.size === 0) this.stop(member);
    this.drain();
  }

  /** Settle once: clears the hard-limit timer; `json` is a result's wire text. */
  private settle(pending: PendingTask, error: unknown, json?: string): void {
    if (pending.settled) return;
    pending.settled = true;
    clearTimeout(pending.timer);
    if (error !== undefined) return pending.reject(error);
    try {
      pending.resolve(json === undefined ? undefined : decodeJson(json, 'result'));
    } catch (decodeError) {
      pending.reject(decodeError);
    }
  }

  private dispatch(pending: PendingTask): boolean {
    const member = this.pick();
    if (!member) return false;
    member.inFlight.set(pending.seq, pending);
    member.dispatched++;
    pending.member = member;
    const { request, hostname, deliveryInfo, limits } = pending.task;
    member.outbox.push({ seq: pending.seq, request, hostname, deliveryInfo, soft: limits.soft });
    // Every task dispatched in this tick goes in one message.
    if (member.outbox.length === 1) queueMicrotask(() => this.flush(member));
    if (limits.hard) {
      pending.timer = setTimeout(() => this.hardLimit(pending), limits.hard * 1000);
    }
    return true;
  }

  private pick(): IsolateMember | undefined {
    let best: IsolateMember | undefined;
    const max = this.options.maxTasksPerChild;
    for (const member of this.serving) {
      if (!member.ready || member.inFlight.size >= this.options.inFlight) continue;
      if (max && member.dispatched >= max) continue;
      if (!best || member.inFlight.size < best.inFlight.size) best = member;
    }
    return best;
  }

  private flush(member: IsolateMember): void {
    const jobs = member.outbox;
    member.outbox = [];
    if (!member.dead && jobs.length) member.handle.send({ k: 'run', jobs });
  }

  private drain(): void {
    while (this.queue.length && !this.closed) {
      if (!this.dispatch(this.queue[0]!)) return;
      this.queue.shift();
    }
  }

  /** The hard time limit: fail the task now, then stop the isolate running it. */
  private hardLimit(pending: PendingTask): void {
    if (pending.settled) return;
    const error = withoutStack(new TimeLimitExceededError(pending.task.limits.hard!));
    const member = pending.member!;
    member.inFlight.delete(pending.seq);
    this.settle(pending, error);
    pending.task.controller.abort(error);
    this.replace(member, `hard time limit of task ${pending.task.request.id}`);
  }

  /** Revoke with terminate stops the isolate (Celery kills the child); other reasons abort the signal. */
  private aborted(pending: PendingTask, reason: unknown): void {
    if (pending.settled) return;
    const member = pending.member;
    if (!member) {
      this.queue.splice(this.queue.indexOf(pending), 1);
      return this.settle(pending, reason);
    }
    if (reason instanceof TaskRevokedError) {
      member.inFlight.delete(pending.seq);
      this.settle(pending, reason);
      return this.replace(member, `task ${pending.task.request.id} revoked with terminate`);
    }
    member.handle.send({ k: 'abort', seq: pending.seq, reason: errorInfoOf(reason) });
  }

  private onExit(member: IsolateMember, detail: string): void {
    member.onExited();
    this.live.delete(member);
    if (member.dead || this.closed) return;
    if (!member.ready) return this.bootFailed(member, detail);
    if (member.retiring && member.inFlight.size === 0) return;
    this.logger.error(
      `A ${this.kind} isolate (${member.handle.id}) died: ${detail}. ` +
        `${member.inFlight.size} task(s) on it end with WorkerLostError; it is replaced.`,
    );
    this.replace(member, detail);
  }

  /** Stop an isolate and put a booted one in its place; its tasks fail with WorkerLostError. */
  private replace(member: IsolateMember, detail: string): void {
    if (member.dead) return;
    member.dead = true;
    clearTimeout(member.bootTimer);
    this.replaced++;
    for (const pending of member.inFlight.values()) {
      this.settle(pending, withoutStack(new WorkerLostError(detail)));
    }
    member.inFlight.clear();
    member.handle.kill();
    this.leave(member);
    this.drain();
  }

  /** Recycle: no new task; it closes once its last task settled. */
  private retire(member: IsolateMember, why: string): void {
    this.logger.log(`Recycling ${this.kind} isolate ${member.handle.id}: ${why}.`);
    member.retiring = true;
    this.replaced++;
    this.leave(member);
  }

  private stop(member: IsolateMember): void {
    member.dead = true;
    member.handle.send({ k: 'close' });
    setTimeout(() => member.handle.kill(), CLOSE_GRACE_MS).unref();
  }

  /** Take `member` out of its role and fill the gap: promote a spare, boot a new spare. */
  private leave(member: IsolateMember): void {
    if (this.closed) return;
    if (member.role === 'serving' && this.serving.includes(member)) {
      this.serving = this.serving.filter((m) => m !== member);
      const spare = this.spares.find((m) => m.ready) ?? this.spares[0];
      if (spare) {
        this.spares = this.spares.filter((m) => m !== spare);
        spare.role = 'serving';
        this.serving.push(spare);
        this.spawnLater('spare');
      } else this.serving.push(this.spawn('serving'));
    } else if (member.role === 'spare' && this.spares.includes(member)) {
      this.spares = this.spares.filter((m) => m !== member);
      this.spawnLater('spare');
    }
  }

  /**
   * Boot a new spare off the critical path: creating an isolate blocks this loop for tens of
   * milliseconds, and the task that caused the replacement is being settled right now.
   */
  private spawnLater(role: IsolateMember['role']): void {
    setTimeout(() => {
      if (!this.closed) (role === 'serving' ? this.serving : this.spares).push(this.spawn(role));
    }, SPAWN_DELAY_MS).unref();
  }

  private bootFailed(member: IsolateMember, detail: string): void {
    if (member.dead) return;
    member.dead = true;
    clearTimeout(member.bootTimer);
    member.handle.kill();
    if (this.startup) {
      const startup = this.startup;
      this.startup = undefined;
      void this.close();
      startup.reject(new ConfigurationError(`A ${this.kind} isolate could not boot: ${detail}`));
      return;
    }
    this.backoff = Math.min(MAX_BACKOFF_MS, this.backoff ? this.backoff * 2 : 1_000);
    this.logger.error(
      `A ${this.kind} isolate could not boot: ${detail}. Retrying in ${this.backoff} ms.`,
    );
    const role = member.role;
    this.serving = this.serving.filter((m) => m !== member);
    this.spares = this.spares.filter((m) => m !== member);
    setTimeout(() => {
      if (!this.closed) (role === 'serving' ? this.serving : this.spares).push(this.spawn(role));
    }, this.backoff).unref();
  }
}

/**
 * The stack of an error raised by the supervisor says nothing about the task (the code that
 * ran is gone): keep its first line only, which also spares formatting it on the hot path.
 */
function withoutStack<T extends Error>(error: T): T {
  error.stack = `${error.name}: ${error.message}`;
  return error;
}
