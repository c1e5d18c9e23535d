import { Logger } from '@nestjs/common';
import type { ResolvedTaskQueueOptions } from '../config/resolved-options.js';
import type { Delivery } from '../contracts/broker.interface.js';
import { parseTaskMessage } from '../protocol/task-message.parser.js';
import type { TaskRequest } from '../protocol/task-request.js';
import { DEFAULTS } from '../task-queue.constants.js';
import { receivedEvent, type TaskEvents } from '../tasks/task-events.js';
import { taskLogFields } from '../tasks/task-log-fields.js';
import type { DeadLetters } from './dead-letters.js';
import { GiveBacks } from './give-backs.js';
import { LazyAbortController } from './lazy-abort.js';
import type { ResultRecorder } from './result-recorder.js';
import { type GuardedDelivery, settleOnce } from './settle-once.js';
import type { TaskAdmission } from './task-admission.js';
import type { TaskExecutor } from './task-executor.js';
import { type Active, type Reserved, WorkerHoldings } from './worker-holdings.js';

/** What the intake uses of its worker. */
export interface IntakeDeps {
  readonly config: ResolvedTaskQueueOptions;
  readonly executor: TaskExecutor;
  readonly events: TaskEvents;
  readonly recorder: ResultRecorder;
  readonly deadLetters: DeadLetters;
  readonly hostname: string;
}

/**
 * The worker's delivery path: parses each delivery, parks far-future ETAs in the broker, keeps
 * near ETAs and rate-limited tasks aside until due, and starts tasks while a slot is free. It
 * accepts deliveries only between `open()` and `close()`; what arrives otherwise goes back to
 * the broker. The lifecycle (consume, drain, requeue) stays with `WorkerService`.
 */
export class WorkerIntake {
  readonly held = new WorkerHoldings((delivery, error) => this.settleFailed(delivery, error));
  private readonly logger = new Logger('TaskQueue');
  private readonly giveBacks = new GiveBacks(DEFAULTS.giveBackDelayMs, (delivery, error) =>
    this.settleFailed(delivery, error),
  );
  private accepting = false;
  private admission?: TaskAdmission;

  constructor(private readonly deps: IntakeDeps) {}

  /** Accept deliveries, starting tasks under `admission`'s rate limits. */
  open(admission: TaskAdmission): void {
    this.admission = admission;
    this.accepting = true;
  }

  /** Stop accepting: new deliveries and released holds go back to the broker. */
  close(): void {
    this.accepting = false;
    this.giveBacks.flush();
  }

  /** The broker's delivery handler (bound once, called for every message). */
  readonly onDelivery = (raw: Delivery): void => {
    const delivery = settleOnce(raw);
    if (!this.accepting) {
      void delivery.reject(true);
      return;
    }
    let request: TaskRequest;
    try {
      request = parseTaskMessage(
        delivery.message,
        delivery.deliveryInfo.routingKey,
        this.warnIgnored,
      );
    } catch (error) {
      void this.malformed(delivery, error as Error);
      return;
    }
    const wait = request.eta ? request.eta.getTime() - Date.now() : 0;
    if (wait > 0 && this.deps.executor.settlesWithoutRunning(request)) {
      // Unknown, revoked or already expired: settled now, as Celery does on receipt, not
      // parked or held until its ETA (and not run if its revocation expires meanwhile).
      this.received(request, delivery);
      this.enqueue({ delivery, request, admitted: true });
      return;
    }
    if (wait > DEFAULTS.etaHoldMs) {
      // Far-future ETA: park it in the broker instead of holding it unacked (no visibility
      // timeout duplicates, no loss if this worker dies). Received when it comes back due,
      // so once, as Celery's worker receives an ETA task once.
      void delivery.defer(request.eta!).catch((e: Error) => this.settleFailed(delivery, e));
      return;
    }
    this.received(request, delivery);
    if (wait > 0) this.holdUntilEta({ delivery, request }, wait);
    else this.enqueue({ delivery, request });
  };

  /** What the parser ignored in an accepted message (a malformed `timelimit`): one WARN. */
  private readonly warnIgnored = (message: string): void => this.logger.warn(message);

  /** `task-received`: once per task, when it is held or run (not when parked until due). */
  private received(request: TaskRequest, delivery: GuardedDelivery): void {
    const { events, hostname } = this.deps;
    if (events.listens('task-received')) {
      events.emit(receivedEvent(request, hostname, delivery.queue));
    }
  }

  private enqueue(item: Reserved): void {
    if (!this.accepting) {
      void item.delivery.reject(true);
      return;
    }
    this.held.ready.push(item);
    this.pump();
  }

  private pump(): void {
    let reclaimed = 0;
    while (
      this.accepting &&
      this.held.active.size < this.deps.config.worker.concurrency &&
      this.held.ready.length
    ) {
      const item = this.held.ready.shift()!;
      // Its channel closed before it started: the broker delivers it again; running this copy
      // would run the task twice (and an acksLate: false task could not even be acked).
      if (item.delivery.reclaimed) reclaimed++;
      else if (item.admitted || !this.admission?.limited(item.request.name)) this.run(item);
      else void this.admit(item);
    }
    if (reclaimed > 0) {
      this.logger.warn(
        `Dropped ${reclaimed} reserved task(s) whose broker channel closed before they started: ` +
          `the broker has put them back and delivers them again. Nothing to do.`,
      );
    }
    this.held.notifyIfIdle();
  }

  /** Rate limits: reserve the task's start slot, keep it aside until then (no slot is held). */
  private async admit(item: Reserved): Promise<void> {
    this.held.admitting++;
    try {
      const wait = await this.admission!.reserve(item.request.name);
      if (wait > 0) this.hold({ ...item, admitted: true }, wait);
      else this.enqueue({ ...item, admitted: true });
    } catch (error) {
      this.logger.warn(
        `Rate-limit store unavailable for ${item.request.name}: ${(error as Error).message}. Retrying in 1 s.`,
      );
      this.hold(item, 1_000);
    } finally {
      this.held.admitting--;
    }
  }

  /** Keep a reserved message aside for `ms` (ETA due soon, or rate limited), then queue it. */
  private hold(item: Reserved, ms: number): void {
    this.held.hold(item, ms, (released) => this.enqueue(released));
  }

  /**
   * An ETA due soon: keep it aside, outside the prefetch window (the broker fetches the
   * messages behind it meanwhile), and queue it when due. Timers fire in ETA order.
   */
  private holdUntilEta(item: Reserved, ms: number): void {
    item.delivery.setHeld?.(true);
    this.held.hold(item, ms, (released) => {
      released.delivery.setHeld?.(false);
      this.enqueue(released);
    });
  }

  private run(item: Reserved): void {
    const controller = new LazyAbortController();
    const finish = (): void => {
      this.held.active.remove(active);
      if (this.deps.executor.runs(item.request.name)) this.held.finished(item.request.name);
      this.pump();
    };
    const fail = (error: Error): void => {
      try {
        const { delivery } = item;
        const unsettled = !delivery.settled && !delivery.reclaimed;
        this.logger.error(
          `Worker error on task ${item.request.id}: ${error.message}` +
            (unsettled ? `. ${this.givenBackIn()}` : ''),
          taskLogFields(item.request),
          error.stack,
        );
        if (unsettled) this.giveBacks.add(delivery);
      } finally {
        finish();
      }
    };
    // Listed fields, not a spread of `item`: this runs for every task. `finish` runs in a
    // later microtask, after `active` is on the list.
    const active: Active = {
      delivery: item.delivery,
      request: item.request,
      admitted: item.admitted,
      controller,
      startedAt: Date.now(),
      done: this.deps.executor
        .execute(item.delivery, item.request, this.deps.hostname, controller)
        .then(finish, fail),
      slot: -1,
    };
    this.held.active.add(active);
  }

  /** Store a FAILURE when the message has an id, and dead-letter it: one log line says why. */
  private async malformed(delivery: GuardedDelivery, error: Error): Promise<void> {
    const id = delivery.message?.headers?.id;
    if (typeof id === 'string' && id) {
      // rpc:// results go to the caller's reply queue: without it the caller waits for ever.
      const properties = delivery.message?.properties;
      const replyTo = typeof properties?.reply_to === 'string' ? properties.reply_to : undefined;
      const correlationId =
        typeof properties?.correlation_id === 'string' ? properties.correlation_id : id;
      await this.deps.recorder.failure({ id, replyTo, correlationId }, this.deps.hostname, error);
    }
    await this.deps.deadLetters
      .deadLetter(delivery, `malformed message: ${error.message}`, {
        level: 'error',
        kind: 'malformed',
      })
      .catch((e: Error) => {
        if (delivery.settled) return this.settleFailed(delivery, e);
        this.logger.error(
          `Could not dead-letter malformed message ${delivery.deliveryTag} ` +
            `(${error.message}): ${e.message}. ${this.givenBackIn()}`,
        );
        this.giveBacks.add(delivery);
      });
  }

  private givenBackIn(): string {
    return `The message goes back to its queue in ${DEFAULTS.giveBackDelayMs / 1000} s and is tried again.`;
  }

  private settleFailed(delivery: GuardedDelivery, error: Error, what = 'message'): void {
    this.logger.error(
      `Could not settle ${what} ${delivery.deliveryTag}: ${error.message}. The broker will redeliver it.`,
    );
  }
}
