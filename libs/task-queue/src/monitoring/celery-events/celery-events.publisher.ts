import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  Optional,
} from '@nestjs/common';
import { first, type Subscription } from 'rxjs';
import type { ResolvedTaskQueueOptions } from '../../config/resolved-options.js';
import { BroadcastTransportHost } from '../../transports/broadcast-transport.host.js';
import { describeThrownLine } from '../../protocol/thrown-value.js';
import { TASK_QUEUE_MODULE_OPTIONS } from '../../task-queue.module-definition.js';
import { getTaskQueueConfigToken } from '../../utils/tokens.js';
import { TaskEvents } from '../../tasks/task-events.js';
import { WorkerService } from '../../worker/worker.service.js';
import { CeleryEventSender } from './celery-event.sender.js';
import { type CeleryEvent, standardFields, workerFields } from './event-fields.js';
import {
  resolveEventsOptions,
  type ResolvedCeleryEventsOptions,
} from '../../config/events-options.js';
import { LamportClock } from './lamport-clock.js';
import { celeryTaskEvent } from './task-event.mapper.js';

/**
 * Makes a running Celeriac worker visible to `celery events`, Flower and `app.events.State`
 * (docs/protocol.md#events): `worker-online` at start, `worker-heartbeat` every
 * `events.heartbeatInterval` seconds (default 2), `worker-offline` at shutdown, and every
 * task event of {@link TaskEvents} with Celery's fields, batched as `task.multi`.
 * @publicApi
 */
@Injectable()
export class CeleryEventsPublisher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('CeleryEvents');
  private readonly options: ResolvedCeleryEventsOptions;
  private sender?: CeleryEventSender;
  private timer?: NodeJS.Timeout;
  private subscription?: Subscription;
  private taskEvents: boolean;
  private offline?: Promise<void>;
  private waitForStart?: Subscription;

  constructor(
    @Inject(getTaskQueueConfigToken()) config: ResolvedTaskQueueOptions,
    @Optional() @Inject(TASK_QUEUE_MODULE_OPTIONS) rawOptions: object | undefined,
    private readonly worker: WorkerService,
    private readonly events: TaskEvents,
    private readonly clock: LamportClock,
    private readonly host: BroadcastTransportHost,
  ) {
    this.options = resolveEventsOptions(config, rawOptions);
    this.taskEvents = this.options.taskEvents;
  }

  /** True while worker-online has been sent and worker-offline has not. */
  get online(): boolean {
    return this.sender !== undefined && this.offline === undefined;
  }

  /** Heartbeat interval in seconds (`freq`). */
  get frequency(): number {
    return this.options.heartbeatInterval;
  }

  /** Online now if the worker consumes, else as soon as it starts (a later `start()`). */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.options.enabled) return;
    if (this.worker.running) return this.goOnline();
    this.waitForStart = this.worker.started$.pipe(first()).subscribe(() => void this.goOnline());
  }

  private async goOnline(): Promise<void> {
    if (this.sender) return;
    try {
      this.sender = new CeleryEventSender(await this.host.get(), this.worker.hostname);
    } catch (error) {
      this.logger.warn(
        `Celery events are off: ${(error as Error).message}. The worker runs, but Celery ` +
          `monitors will not see it; check the broker URL.`,
      );
      return;
    }
    if (this.taskEvents) this.subscribe();
    await this.sendWorkerEvent('worker-online');
    this.timer = setInterval(() => void this.heartbeat(), this.options.heartbeatInterval * 1000);
    this.timer.unref();
  }

  /** Stop the worker (graceful), then say `worker-offline`. */
  async beforeApplicationShutdown(): Promise<void> {
    this.waitForStart?.unsubscribe();
    await this.worker.stop();
    await this.goOffline();
  }

  /** Send a `worker-heartbeat` now (Celery's `heartbeat` control command does this). */
  async heartbeat(): Promise<void> {
    if (this.online) await this.sendWorkerEvent('worker-heartbeat');
  }

  /** `enable_events` / `disable_events`: switch task events on or off (heartbeats continue). */
  setTaskEvents(enabled: boolean): boolean {
    const changed = this.taskEvents !== enabled;
    this.taskEvents = enabled;
    if (enabled && this.online) this.subscribe();
    if (!enabled) this.unsubscribe();
    return changed;
  }

  /**
   * Listen to task events only while they are sent: with no listener the worker builds no
   * event at all (TaskEvents.listens), which is most of what task events cost.
   */
  private subscribe(): void {
    this.subscription ??= this.events.events$.subscribe((event) => {
      // task-returned is Celeriac's after_return hook; Celery sends no such event. task-sent
      // feeds in-process metrics only (Celery's task_send_sent_event is not emulated).
      if (
        event.type === 'task-returned' ||
        event.type === 'task-sent' ||
        event.hostname !== this.worker.hostname
      )
        return;
      let message: CeleryEvent;
      try {
        message = celeryTaskEvent(event, this.worker.hostname, this.clock.forward());
      } catch (error) {
        // Never reached with the bounded reprs; a monitor event is not worth a worker.
        this.logger.error(
          `Could not build the Celery ${event.type} event of ${event.name}[${event.taskId}]: ` +
            `${describeThrownLine(error)}. The event was not sent; the task is not affected.`,
        );
        return;
      }
      this.sender?.queue(message);
    });
  }

  private unsubscribe(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
  }

  /** Flush task events, stop heartbeats and send `worker-offline` once. */
  goOffline(): Promise<void> {
    if (!this.sender) return Promise.resolve();
    this.offline ??= (async () => {
      clearInterval(this.timer);
      this.unsubscribe();
      await this.sender?.flush();
      await this.sendWorkerEvent('worker-offline');
      // On RabbitMQ the broker's connection (shared) closes right after: without this round
      // trip the broker may drop worker-offline, and monitors wait for missed heartbeats.
      await this.sender?.settle();
    })();
    return this.offline;
  }

  private async sendWorkerEvent(type: string): Promise<void> {
    const { active, totals } = this.worker.snapshot();
    const processed = Object.values(totals).reduce((sum, n) => sum + n, 0);
    await this.sender?.send({
      ...standardFields(type, this.worker.hostname, this.clock.forward()),
      ...workerFields(this.options.heartbeatInterval, active.length, processed),
    });
  }
}
