import type { ResolvedTaskQueueOptions } from '../../config/resolved-options.js';
import type { TaskRegistry } from '../../tasks/task.registry.js';
import type { Broker } from '../../contracts/broker.interface.js';
import type { CeleryEventsPublisher } from '../celery-events/celery-events.publisher.js';
import type { LamportClock } from '../celery-events/lamport-clock.js';
import { SW_IDENT, SW_VERSION } from '../celery-events/event-fields.js';
import type { RevokedTasks } from '../../revocation/revoked-tasks.js';
import type { WorkerService } from '../../worker/worker.service.js';
import type { TaskPools } from '../../worker/pool/task-pools.js';
import { heldRequests, queryTask, scheduledRequests } from './held-requests.commands.js';
import { workerStats } from './stats.command.js';
import { setRateLimit, setTimeLimit } from './task-limits.commands.js';
import { activeQueues, addConsumer, cancelConsumer } from './queue.commands.js';
import { registeredTasks } from './registered.command.js';
import { workerConf } from './conf.command.js';
import { revokeSignal } from './revoke-signal.js';
import { fromMingleRevoked, toMingleRevoked } from './mingle-revoked.js';

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
      heldRequests(t, 'active', args.safe === true);
    const reserved = (): unknown => heldRequests(t, 'reserved');
    const registered = (args: Record<string, unknown>): unknown =>
      registeredTasks(t.registry, args);
    const scheduled = (): unknown => scheduledRequests(t);
    const revokedIds = (): unknown => t.revoked.ids();
    this.commands = {
      ping: () => ({ ok: 'pong' }),
      stats: () => workerStats(t, this.startedAt),
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
      query_task: (args) => queryTask(t, args),
      active_queues: () => activeQueues(t.worker, t.config.worker.direct),
      conf: () => workerConf(t.config),
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

  /**
   * Mingle, sent by each Python worker as it starts: take the revocations it carries, as Celery
   * does, and reply with ours (stamped as Python expects) and our clock.
   */
  private hello(args: Record<string, unknown>): unknown {
    if (args.from_node === this.t.worker.hostname) return null;
    this.t.revoked.absorb(fromMingleRevoked(args.revoked));
    return { revoked: toMingleRevoked(this.t.revoked.live()), clock: this.t.clock.current };
  }

  private async revoke(args: Record<string, unknown>, terminate: boolean): Promise<unknown> {
    const ids = [args.task_id].flat().filter((id): id is string => typeof id === 'string');
    if (!ids.length) return { error: 'revoke: no task_id given' };
    const signal = terminate ? revokeSignal(args.signal) : undefined;
    if (signal instanceof Error) return { error: signal.message };
    // Read before: terminating a task can end it before revoke() resolves (an isolate pool).
    const running = terminate ? new Set(this.t.worker.snapshot().active.map((r) => r.id)) : null;
    const reason = terminate ? 'terminated' : 'revoked';
    await this.t.revoked.revoke(ids, { terminate, reason, signal });
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
