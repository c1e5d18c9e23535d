import type { CatchUpPolicy, ScheduleSpec } from '../contracts/schedule-store.interface.js';
import { PERIODIC_METADATA } from './beat.constants.js';
import { assertInstanceMethod } from '../tasks/instance-method.guard.js';

/** Options of {@link Periodic}. @publicApi */
export interface PeriodicOptions {
  /** Schedule name (the `periodic_task_name` header); default: the task name. */
  name?: string;
  /** IANA time zone of a cron expression (default UTC). */
  tz?: string;
  args?: unknown[];
  kwargs?: Record<string, unknown>;
  queue?: string;
  /** Publish to this direct exchange with `routingKey` (both or neither), as Celery does. */
  exchange?: string;
  routingKey?: string;
  priority?: number;
  /** Seconds after the scheduled instant after which a fire expires unstarted. */
  expires?: number;
  headers?: Record<string, unknown>;
  catchUp?: CatchUpPolicy;
  /** `skip`: no fire while the previous run is unfinished (needs a result backend). */
  overlap?: 'allow' | 'skip';
  /**
   * With overlap `skip`: seconds after its publish when a previous run still not seen finished
   * counts as finished, so a lost run cannot stop the schedule (default: the task's
   * `timeLimit` when known locally, else 3600).
   */
  overlapTimeout?: number;
  /** Up to this many ms of delay per fire (deterministic per fire). */
  jitter?: number;
  startAt?: Date;
  endAt?: Date;
  maxRuns?: number;
  /** Written paused when false (default true). */
  enabled?: boolean;
}

/** One `@Periodic()` on a method. */
export interface PeriodicMetadata {
  spec: ScheduleSpec | string;
  options: PeriodicOptions;
}

/**
 * Runs a `@Task()` method on a schedule: a cron expression (Celery `crontab` fields, optional
 * `tz`) or `{ every: seconds }`. One beat in the cluster publishes each fire, once; any number
 * of app instances may carry the decorator. Stackable (give each a `name`).
 *
 * @example
 * ＠Periodic('0 3 * * *', { tz: 'Europe/Berlin' })
 * ＠Task('reports.nightly')
 * async nightly(): Promise<void> { ... }
 * @publicApi
 */
export function Periodic(
  spec: string | ScheduleSpec,
  options: PeriodicOptions = {},
): MethodDecorator {
  return (target, key, descriptor) => {
    assertInstanceMethod('@Periodic()', target, key, descriptor);
    const method = descriptor.value as object;
    const list =
      (Reflect.getMetadata(PERIODIC_METADATA, method) as PeriodicMetadata[] | undefined) ?? [];
    Reflect.defineMetadata(PERIODIC_METADATA, [...list, { spec, options }], method);
    return descriptor;
  };
}
