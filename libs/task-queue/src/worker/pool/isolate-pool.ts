import { Logger } from '@nestjs/common';
import type { ResolvedIsolateOptions } from '../../config/resolved-options.js';
import { TaskRevokedError } from '../../errors/task-revoked.error.js';
import { TimeLimitExceededError } from '../../errors/time-limit.error.js';
import { WorkerLostError } from '../../errors/worker-lost.error.js';
import { isolateDeathMessage, isolateStopMessage } from './isolate-death.message.js';
import { decodePythonJson } from '../../protocol/python-floats.js';
import { LazyAbortController } from '../lazy-abort.js';
import { errorInfoOf, rebuildError, withoutStack } from './isolate-errors.js';
import { IsolateRoster } from './isolate-roster.js';
import type { IsolateMember, PendingTask } from './isolate-member.js';
import type { FromIsolate, IsolateOutcome } from './isolate-protocol.js';
import type { PoolStats, PoolTask, TaskPool } from './task-pool.js';

/**
 * A supervised pool of isolates (worker threads or child processes), each booted once from
 * the worker's Nest module: `size` serve tasks, `spare` more are booted and idle so that a
 * replaced isolate never leaves the pool short. It enforces hard time limits by stopping the
 * isolate, replaces isolates that die (their tasks fail with WorkerLostError), and recycles
 * them between tasks after `maxTasksPerChild` tasks or above `maxMemoryPerChild`.
 */
export class IsolatePool implements TaskPool {
  private readonly logger = new Logger('TaskQueue');
  private readonly roster: IsolateRoster;
  private readonly queue: PendingTask[] = [];
  private seq = 0;
  private replaced = 0;

  constructor(
    readonly kind: 'threads' | 'processes',
    private readonly options: ResolvedIsolateOptions,
    entry: URL,
    moduleUrl: string,
  ) {
    const init = {
      moduleUrl,
      exportName: options.export,
      reportMemory: options.maxMemoryPerChild !== undefined,
    };
    this.roster = new IsolateRoster(kind, options, entry, init, {
      message: (member, message) => this.onMessage(member, message),
      exit: (member, detail) => this.onExit(member, detail),
    });
  }

  /** Boot `size + spare` isolates; resolves when all are ready, rejects if one cannot boot. */
  start(): Promise<void> {
    return this.roster.start();
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
      if (this.roster.closed) reject(new WorkerLostError('the pool is closed'));
      else if (!this.dispatch(pending)) this.queue.push(pending);
    });
  }

  isolateOf(taskId: string): number | undefined {
    for (const member of this.roster.live) {
      for (const pending of member.inFlight.values()) {
        if (pending.task.request.id === taskId) return member.handle.id;
      }
    }
    return undefined;
  }

  isWaiting(taskId: string): boolean {
    return this.queue.some((pending) => pending.task.request.id === taskId);
  }

  stats(): PoolStats {
    return {
      implementation: `celeriac:${this.kind}`,
      'max-concurrency': this.options.size * this.options.inFlight,
      processes: this.roster.serving.map((m) => m.handle.id),
      'max-tasks-per-child': this.options.maxTasksPerChild ?? 'N/A',
      spares: this.roster.spares.filter((m) => m.ready).length,
      replaced: this.replaced,
    };
  }

  async close(): Promise<void> {
    this.roster.closed = true;
    for (const pending of this.queue.splice(0)) {
      this.settle(pending, new WorkerLostError('the pool closed'));
    }
    for (const member of this.roster.live) {
      for (const pending of member.inFlight.values()) {
        this.settle(pending, new WorkerLostError('the pool closed'));
      }
    }
    await this.roster.close();
  }

  kill(): void {
    this.roster.closed = true;
    const lost = () => withoutStack(new WorkerLostError('the pool was stopped (cold shutdown)'));
    for (const pending of this.queue.splice(0)) this.settle(pending, lost());
    for (const member of this.roster.live) {
      for (const pending of member.inFlight.values()) this.settle(pending, lost());
      member.inFlight.clear();
    }
    this.roster.kill();
  }

  private onMessage(member: IsolateMember, message: FromIsolate): void {
    if (member.dead) return;
    switch (message.k) {
      case 'done':
        return this.done(member, message.outcomes, message.memory);
      case 'ready':
        this.roster.ready(member);
        return this.drain();
      case 'boot-failed':
        return this.roster.bootFailed(member, `${message.error.name}: ${message.error.message}`);
    }
  }

  private done(member: IsolateMember, outcomes: IsolateOutcome[], memory?: number): void {
    for (const outcome of outcomes) {
      const pending = member.inFlight.get(outcome.seq);
      if (!pending) continue;
      member.inFlight.delete(outcome.seq);
      member.served++;
      member.lastTask = `${pending.task.request.name}[${pending.task.request.id}]`;
      if (outcome.children && !pending.settled) {
        (pending.task.running.children ??= []).push(...outcome.children);
      }
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
    if (member.retiring && member.inFlight.size === 0) this.roster.stop(member);
    this.drain();
  }

  /** Settle once: clears the hard-limit timer; `json` is a result's wire text. */
  private settle(pending: PendingTask, error: unknown, json?: string): void {
    if (pending.settled) return;
    pending.settled = true;
    clearTimeout(pending.timer);
    if (error !== undefined) return pending.reject(error);
    try {
      pending.resolve(json === undefined ? undefined : decodePythonJson(json, 'result'));
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
    // The raw message stays here (the isolate never republishes): half the bytes to clone.
    const { message: _message, ...slim } = request;
    member.outbox.push({
      seq: pending.seq,
      request: slim,
      hostname,
      deliveryInfo,
      soft: limits.soft,
    });
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
    for (const member of this.roster.serving) {
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
    while (this.queue.length && !this.roster.closed) {
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
    const why = `exceeded its hard time limit (${pending.task.limits.hard} s)`;
    this.logger.warn(isolateStopMessage(this.kind, member, pending, why));
    this.replace(member, `hard time limit of task ${pending.task.request.id}`);
  }

  /**
   * Revoke with terminate stops the isolate (Celery kills the child), except with SIGUSR1,
   * which Celery's child turns into SoftTimeLimitExceeded in the task: the task's signal is
   * aborted in the isolate, which lives on. Other reasons abort the signal.
   */
  private aborted(pending: PendingTask, reason: unknown): void {
    if (pending.settled) return;
    const member = pending.member;
    if (!member) {
      this.queue.splice(this.queue.indexOf(pending), 1);
      return this.settle(pending, reason);
    }
    if (reason instanceof TaskRevokedError && reason.signal !== 'SIGUSR1') {
      member.inFlight.delete(pending.seq);
      this.settle(pending, reason);
      this.logger.warn(
        isolateStopMessage(this.kind, member, pending, 'was revoked with terminate'),
      );
      return this.replace(member, `task ${pending.task.request.id} revoked with terminate`);
    }
    member.handle.send({ k: 'abort', seq: pending.seq, reason: errorInfoOf(reason) });
  }

  private onExit(member: IsolateMember, detail: string): void {
    member.onExited();
    if (member.dead || this.roster.closed) return;
    if (!member.ready) return this.roster.bootFailed(member, detail);
    if (member.retiring && member.inFlight.size === 0) return;
    this.logger.error(isolateDeathMessage(this.kind, member, detail));
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
    this.roster.leave(member);
    this.drain();
  }

  /** Recycle: no new task; it closes once its last task settled. */
  private retire(member: IsolateMember, why: string): void {
    this.logger.log(`Recycling ${this.kind} isolate ${member.handle.id}: ${why}.`);
    member.retiring = true;
    this.replaced++;
    this.roster.leave(member);
  }
}
