import { toCeleryDate } from '../../protocol/json-codec.js';
import { resourceUsage } from 'node:process';
import type { ResolvedTaskQueueOptions } from '../../config/resolved-options.js';
import type { TaskRegistry } from '../../tasks/task.registry.js';
import type { Broker } from '../../contracts/broker.interface.js';
import type { CeleryEventsPublisher } from '../celery-events/celery-events.publisher.js';
import type { LamportClock } from '../celery-events/lamport-clock.js';
import { SW_IDENT, SW_VERSION } from '../celery-events/event-fields.js';
import type { RevokedTasks } from '../../revocation/revoked-tasks.js';
import type { WorkerService } from '../../worker/worker.service.js';
import type { TaskPools } from '../../worker/pool/task-pools.js';
import { parseTaskMessage } from '../../protocol/task-message.parser.js';
import type { HeldRequest } from '../../worker/worker-holdings.js';
import { brokerInfo } from './broker-info.js';
import { requestInfo } from './request-info.js';
import { setRateLimit, setTimeLimit } from './task-limits.commands.js';
import { addConsumer, cancelConsumer } from './queue.commands.js';
import { registeredTasks } from './registered.command.js';

/** Returned by a command that must not be answered (`shutdown`, casts). */
export const NO_REPLY = Symbol('no-reply');

/** What the commands act on. */
export interface ControlTargets {
  config: ResolvedTaskQueueOptions;
  broker: Broker;
  worker: WorkerService;
  /** Isolate pools: `stats` lists them, `active` names the isolate running each task. */
  pools: TaskPools;
  registry: TaskRegistry;
  revoked: RevokedTasks;
  clock: LamportClock;
  events: CeleryEventsPublisher;
  /** Graceful shutdown of this worker (the `shutdown` command). */
  shutdown: (reason: string) => void;
}

type Command = (args: Record<string, unknown>) => unknown;

/** At most this many parked messages in an `inspect scheduled` reply. */
const PARKED_LIMIT = 1_000;

/**
 * Celery's worker remote-control commands with their reply shapes (docs/protocol.md#control-commands), on a Celeriac
 * worker.
 */
export class WorkerControlCommands {
  private readonly startedAt = Date.now();
  private readonly commands: Record<string, Command>;

  constructor(private readonly t: ControlTargets) {
    // Celery's `active(safe=True)`: argsrepr / kwargsrepr instead of the arguments.
    const active = (args: Record<string, unknown>): unknown =>
      this.requests('active', args.safe === true);
    const reserved = (): unknown => this.requests('reserved');
    const registered = (args: Record<string, unknown>): unknown =>
      registeredTasks(t.registry, args);
    const scheduled = (): unknown => this.scheduled();
    const revokedIds = (): unknown => t.revoked.ids();
    this.commands = {
      ping: () => ({ ok: 'pong' }),
      stats: () => this.stats(),
      registered,
      dump_tasks: registered,
      active,
      dump_active: active,
      reserved,
      dump_reserved: reserved,
      scheduled,
      dump_schedule: scheduled,
      revoked: revokedIds,
      dump_revoked: revokedIds,
      query_task: (args) => this.queryTask(args),
      active_queues: () => this.activeQueues(),
      conf: () => ({ broker_url: '(hidden)', worker_concurrency: t.config.worker.concurrency }),
      clock: () => ({ clock: t.clock.current }),
      report: () => ({ ok: `software -> ${SW_IDENT}:${SW_VERSION} node:${process.version}` }),
      hello: (args) => this.hello(args),
      revoke: (args) => this.revoke(args, args.terminate === true),
      terminate: (args) => this.revoke(args, true),
      add_consumer: (args) => addConsumer(t.worker, args),
      cancel_consumer: (args) => cancelConsumer(t.worker, args),
      rate_limit: (args) => setRateLimit(t.registry, args),
      time_limit: (args) => setTimeLimit(t.registry, args),
      enable_events: () => this.setEvents(true),
      disable_events: () => this.setEvents(false),
      heartbeat: async () => {
        await t.events.heartbeat();
        return null;
      },
      shutdown: (args) => {
        t.shutdown(typeof args.msg === 'string' ? args.msg : 'remote shutdown command');
        return NO_REPLY;
      },
    };
  }

  /** Whether `method` is implemented. */
  has(method: string): boolean {
    return Object.hasOwn(this.commands, method);
  }

  /** Run a command; throws for unknown ones (the caller replies with `error`). */
  async run(method: string, args: Record<string, unknown>): Promise<unknown> {
    if (!this.has(method)) throw new Error(`KeyError('${method}')`);
    return this.commands[method]!(args);
  }

  private stats(): Record<string, unknown> {
    const { config, worker, broker, clock } = this.t;
    const usage = resourceUsage();
    return {
      total: worker.snapshot().totals,
      pid: process.pid,
      clock: String(clock.current),
      uptime: Math.round((Date.now() - this.startedAt) / 1000),
      pool: {
        'max-concurrency': config.worker.concurrency,
        processes: [process.pid],
        'max-tasks-per-child': 'N/A',
        'put-guarded-by-semaphore': false,
        timeouts: [0, 0],
        writes: {},
        implementation: 'celeriac:event-loop',
        // Isolate pools (threads / processes) running `@Task({ pool })` handlers.
        isolates: this.t.pools.stats(),
      },
      broker: brokerInfo(config.broker, broker),
      prefetch_count: config.worker.concurrency * config.worker.prefetch,
      rusage: {
        utime: usage.userCPUTime / 1e6,
        stime: usage.systemCPUTime / 1e6,
        maxrss: usage.maxRSS,
        ixrss: usage.sharedMemorySize,
        idrss: usage.unsharedDataSize,
        isrss: usage.unsharedStackSize,
        minflt: usage.minorPageFault,
        majflt: usage.majorPageFault,
        nswap: usage.swappedOut,
        inblock: usage.fsRead,
        oublock: usage.fsWrite,
        msgsnd: usage.ipcSent,
        msgrcv: usage.ipcReceived,
        nsignals: usage.signalsCount,
        nvcsw: usage.voluntaryContextSwitches,
        nivcsw: usage.involuntaryContextSwitches,
      },
      sw_ident: SW_IDENT,
      sw_ver: SW_VERSION,
    };
  }

  private requests(state: 'active' | 'reserved', safe = false): unknown[] {
    const host = this.t.worker.hostname;
    const pools = this.t.pools;
    const isolate = (id: string): number | undefined =>
      pools.enabled ? pools.isolateOf(id) : undefined;
    const snapshot = this.t.worker.snapshot();
    if (!pools.enabled) {
      return snapshot[state].map((r) => requestInfo(r, host, state, undefined, safe));
    }
    // A pool task waiting for a free isolate has not started: reserved, as Celery's prefork
    // lists what no child runs yet.
    const waiting = snapshot.active.filter((r) => pools.isWaiting(r.id));
    const held =
      state === 'active'
        ? snapshot.active.filter((r) => !waiting.includes(r))
        : [...snapshot.reserved, ...waiting];
    return held.map((r) => requestInfo(r, host, state, isolate(r.id), safe));
  }

  /**
   * Celery's reply: the ETA tasks this worker holds. Celeriac parks ETAs further than 2 s
   * ahead in the broker instead (Redis): those of this worker's queues are listed too, after
   * the held ones, with `parked: true` (every worker consuming the queue lists them).
   */
  private async scheduled(): Promise<unknown[]> {
    const host = this.t.worker.hostname;
    const held = this.t.worker.snapshot().scheduled.map((r) => ({
      eta: r.eta ? toCeleryDate(r.eta) : null,
      priority: 6,
      request: requestInfo(r, host, 'scheduled'),
    }));
    return [...held, ...(await this.parked(host))];
  }

  private async parked(host: string): Promise<unknown[]> {
    const { broker } = this.t;
    if (!broker.parked) return [];
    const parked = await broker.parked(this.t.worker.queues, PARKED_LIMIT);
    const entries: unknown[] = [];
    for (const p of parked) {
      let request;
      try {
        request = parseTaskMessage(p.message, p.queue);
      } catch {
        continue; // dead-lettered when it is due; nothing to show as a task
      }
      const held: HeldRequest = {
        ...request,
        deliveryInfo: { ...p.deliveryInfo, redelivered: false },
      };
      entries.push({
        eta: toCeleryDate(request.eta ?? p.due),
        priority: 6,
        request: requestInfo(held, host, 'scheduled'),
        parked: true,
      });
    }
    return entries;
  }

  private queryTask(args: Record<string, unknown>): Record<string, unknown> {
    const ids = new Set([args.ids].flat().map(String));
    const host = this.t.worker.hostname;
    const snap = this.t.worker.snapshot();
    const found: Record<string, unknown> = {};
    for (const state of ['active', 'reserved', 'scheduled'] as const) {
      for (const r of snap[state]) {
        if (ids.has(r.id))
          found[r.id] = [state === 'scheduled' ? 'reserved' : state, requestInfo(r, host, state)];
      }
    }
    return found;
  }

  private activeQueues(): unknown[] {
    return this.t.worker.queues.map((name) => ({
      name,
      exchange: {
        name,
        type: 'direct',
        arguments: null,
        durable: true,
        passive: false,
        auto_delete: false,
        delivery_mode: null,
        no_declare: false,
      },
      routing_key: name,
      queue_arguments: null,
      binding_arguments: null,
      consumer_arguments: null,
      durable: true,
      exclusive: false,
      auto_delete: false,
      no_ack: false,
      alias: null,
      bindings: [],
      no_declare: null,
      expires: null,
      message_ttl: null,
      max_length: null,
      max_length_bytes: null,
      max_priority: null,
    }));
  }

  /** Mingle: reply with no revokes (floats would be required) and our clock. */
  private hello(args: Record<string, unknown>): unknown {
    if (args.from_node === this.t.worker.hostname) return null;
    return { revoked: {}, clock: this.t.clock.current };
  }

  private async revoke(args: Record<string, unknown>, terminate: boolean): Promise<unknown> {
    const ids = [args.task_id].flat().filter((id): id is string => typeof id === 'string');
    if (!ids.length) return { error: 'revoke: no task_id given' };
    // Read before: terminating a task can end it before revoke() resolves (an isolate pool).
    const running = terminate ? new Set(this.t.worker.snapshot().active.map((r) => r.id)) : null;
    await this.t.revoked.revoke(ids, { terminate, reason: terminate ? 'terminated' : 'revoked' });
    if (!running) return { ok: `tasks ${ids.join(', ')} flagged as revoked` };
    const hit = ids.filter((id) => running.has(id));
    return { ok: hit.length ? `terminate: ${hit.join(', ')}` : 'terminate: tasks unknown' };
  }

  private setEvents(enabled: boolean): unknown {
    const changed = this.t.events.setTaskEvents(enabled);
    const word = enabled ? 'enabled' : 'disabled';
    return { ok: changed ? `task events ${word}` : `task events already ${word}` };
  }
}
