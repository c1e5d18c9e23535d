import { Logger } from '@nestjs/common';
import type { ResolvedIsolateOptions } from '../../config/resolved-options.js';
import { ConfigurationError } from '../../errors/configuration.error.js';
import { spawnProcess, spawnThread } from './isolate-handle.js';
import { IsolateMember } from './isolate-member.js';
import type { FromIsolate, IsolateInit } from './isolate-protocol.js';

const MAX_BACKOFF_MS = 30_000;
/** A new spare boots this long after a replacement, off the path that settles its task. */
const SPAWN_DELAY_MS = 100;
const CLOSE_GRACE_MS = 2_000;

/** What the roster reports to its pool. */
export interface RosterEvents {
  message(member: IsolateMember, message: FromIsolate): void;
  exit(member: IsolateMember, detail: string): void;
}

/**
 * The isolates of one pool and their roles: `size` serving, `spare` booted and idle. It boots
 * them (startup resolves when all are ready), promotes a spare when a serving isolate leaves
 * and boots the next spare, and retries failed boots with backoff.
 */
export class IsolateRoster {
  private readonly logger = new Logger('TaskQueue');
  readonly live = new Set<IsolateMember>();
  serving: IsolateMember[] = [];
  spares: IsolateMember[] = [];
  closed = false;
  private backoff = 0;
  private startup?: { waiting: number; resolve(): void; reject(error: Error): void };

  constructor(
    private readonly kind: 'threads' | 'processes',
    private readonly options: ResolvedIsolateOptions,
    private readonly entry: URL,
    private readonly init: IsolateInit,
    private readonly events: RosterEvents,
  ) {}

  /** Boot `size + spare` isolates; resolves when all are ready, rejects if one cannot boot. */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.startup = { waiting: this.options.size + this.options.spare, resolve, reject };
      for (let i = 0; i < this.options.size; i++) this.serving.push(this.spawn('serving'));
      for (let i = 0; i < this.options.spare; i++) this.spares.push(this.spawn('spare'));
    });
  }

  /** An isolate reported ready. */
  ready(member: IsolateMember): void {
    clearTimeout(member.bootTimer);
    member.ready = true;
    this.backoff = 0;
    if (this.startup && --this.startup.waiting === 0) {
      this.startup.resolve();
      this.startup = undefined;
    }
  }

  /** Take `member` out of its role and fill the gap: promote a spare, boot a new spare. */
  leave(member: IsolateMember): void {
    if (this.closed) return;
    if (member.role === 'serving' && this.serving.includes(member)) {
      this.serving = this.serving.filter((m) => m !== member);
      const spare = this.spares.find((m) => m.ready) ?? this.spares[0];
      if (!spare) return this.spawnLater('serving');
      this.spares = this.spares.filter((m) => m !== spare);
      spare.role = 'serving';
      this.serving.push(spare);
      this.spawnLater('spare');
    } else if (member.role === 'spare' && this.spares.includes(member)) {
      this.spares = this.spares.filter((m) => m !== member);
      this.spawnLater('spare');
    }
  }

  /** An isolate could not boot: fail the startup, or boot another later (with backoff). */
  bootFailed(member: IsolateMember, detail: string): void {
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
    this.serving = this.serving.filter((m) => m !== member);
    this.spares = this.spares.filter((m) => m !== member);
    this.spawnLater(member.role, this.backoff);
  }

  /** Ask an isolate to close its context and exit; kill it if it does not. */
  stop(member: IsolateMember): void {
    member.dead = true;
    member.handle.send({ k: 'close' });
    setTimeout(() => member.handle.kill(), CLOSE_GRACE_MS).unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    const members = [...this.live];
    for (const member of members) this.stop(member);
    await Promise.all(members.map((m) => m.exited));
  }

  /** Stop every isolate now: a busy one would not read `close`, and its parent is exiting. */
  kill(): void {
    this.closed = true;
    for (const member of this.live) {
      member.dead = true;
      clearTimeout(member.bootTimer);
      member.handle.kill();
    }
  }

  private spawnLater(role: IsolateMember['role'], delay = SPAWN_DELAY_MS): void {
    setTimeout(() => {
      if (!this.closed) (role === 'serving' ? this.serving : this.spares).push(this.spawn(role));
    }, delay).unref();
  }

  private spawn(role: IsolateMember['role']): IsolateMember {
    const member = new IsolateMember(role);
    const spawn = this.kind === 'threads' ? spawnThread : spawnProcess;
    member.handle = spawn(
      { entry: this.entry, init: this.init, maxHeapMb: this.options.maxHeapMb },
      {
        message: (message) => this.events.message(member, message),
        exit: (detail) => {
          member.onExited();
          this.live.delete(member);
          this.events.exit(member, detail);
        },
      },
    );
    member.bootTimer = setTimeout(
      () => this.bootFailed(member, `not ready after ${this.options.bootTimeout} ms`),
      this.options.bootTimeout,
    );
    this.live.add(member);
    return member;
  }
}
