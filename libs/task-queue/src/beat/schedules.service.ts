import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { filter, map, type Observable } from 'rxjs';
import type {
  ScheduleDefinition,
  ScheduleSpec,
  ScheduleStore,
  StoredSchedule,
} from '../contracts/schedule-store.interface.js';
import { ConfigurationError } from '../errors/configuration.error.js';
import { BEAT_CONFIG, SCHEDULE_STORE } from './beat.constants.js';
import type { ResolvedBeatOptions } from './beat-options.js';
import { BeatPublisher } from './beat-publisher.js';
import { freshState } from './fire-planner.js';
import { OverlapGuard } from './overlap-guard.js';
import type { PeriodicOptions } from './periodic.decorator.js';
import { PeriodicExplorer } from './periodic.explorer.js';
import { PeriodicWriteBack } from './periodic-write-back.js';
import { toScheduleDefinition } from './schedule-definition.js';
import { editSchedule } from './schedule-edit.js';
import { toInfo, type ScheduleInfo } from './schedule-info.js';
import { assertValidDefinition } from './schedule-validation.js';
import { scheduleDefinitionJson } from '../protocol/schedule-json.js';

export type { ScheduleInfo } from './schedule-info.js';

/**
 * Runtime CRUD of schedules, from any instance (the leader applies edits within milliseconds:
 * the store pushes them). Also writes the app's `@Periodic` schedules at boot.
 *
 * @example
 * await schedules.add('cleanup', 'maintenance.cleanup', '*\/15 * * * *', { tz: 'Europe/Berlin' });
 * await schedules.pause('cleanup');
 * @publicApi
 */
@Injectable()
export class Schedules implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Beat');
  private readonly periodic: PeriodicWriteBack;

  /**
   * Emits when the store's connection came back and changes (or the whole data) may have been
   * lost meanwhile: sources of schedules (django-celery-beat's mirror) write theirs again.
   * @internal
   */
  get storeReconnects(): Observable<void> {
    return this.store.changes.pipe(
      filter((name) => name === ''),
      map(() => undefined),
    );
  }

  constructor(
    @Inject(SCHEDULE_STORE) private readonly store: ScheduleStore,
    @Inject(BEAT_CONFIG) private readonly config: ResolvedBeatOptions,
    private readonly explorer: PeriodicExplorer,
    private readonly publisher: BeatPublisher,
    private readonly overlap: OverlapGuard,
  ) {
    this.periodic = new PeriodicWriteBack(store, explorer, this.logger, config.renewMs);
  }

  async onApplicationBootstrap(): Promise<void> {
    for (const definition of this.explorer.definitions) this.overlap.assertUsable(definition);
    if (!this.config.syncDecorators) return;
    await this.periodic.start(this.storeReconnects);
  }

  onModuleDestroy(): void {
    this.periodic.stop();
  }

  /** Every schedule, by next fire. */
  async list(): Promise<ScheduleInfo[]> {
    const all = (await this.store.list()).map(toInfo);
    return all.sort(
      (a, b) =>
        (a.nextFireAt?.getTime() ?? Infinity) - (b.nextFireAt?.getTime() ?? Infinity) ||
        a.name.localeCompare(b.name),
    );
  }

  async get(name: string): Promise<ScheduleInfo | null> {
    const stored = await this.store.get(name);
    return stored ? toInfo(stored) : null;
  }

  /**
   * Create or replace schedule `name` sending `task` (a cron expression, `{ every }` seconds,
   * or `{ at }` for a one-off). Its run count is kept when it existed.
   */
  async add(
    name: string,
    task: string,
    spec: string | ScheduleSpec,
    options: Omit<PeriodicOptions, 'name'> = {},
  ): Promise<ScheduleInfo> {
    const definition = toScheduleDefinition(name, task, spec, options, 'api');
    this.overlap.assertUsable(definition);
    const written = await editSchedule(this.store, name, (current) => ({
      definition,
      state: freshState(definition, Date.now(), current?.state, current?.definition.schedule),
    }));
    return toInfo(written!);
  }

  /** A one-off (clocked) run of `task` at `at`. */
  once(
    name: string,
    task: string,
    at: Date,
    options: Omit<PeriodicOptions, 'name'> = {},
  ): Promise<ScheduleInfo> {
    return this.add(name, task, { at }, options);
  }

  /** Change some fields of an existing schedule (its next fire is recomputed from now). */
  async update(
    name: string,
    changes: Partial<Omit<ScheduleDefinition, 'name' | 'source'>>,
  ): Promise<ScheduleInfo> {
    const written = await editSchedule(this.store, name, (current) => {
      if (!current) throw new ConfigurationError(`No schedule named "${name}".`);
      const definition: ScheduleDefinition = { ...current.definition, ...changes, name };
      assertValidDefinition(definition, `schedule "${name}"`);
      // Pausing or resuming a schedule stored elsewhere must work even if its overlap cannot.
      if ('overlap' in changes || 'task' in changes) this.overlap.assertUsable(definition);
      const state = freshState(definition, Date.now(), current.state, current.definition.schedule);
      return { definition, state };
    });
    return toInfo(written!);
  }

  /** Stop firing (fires missed while paused are never published). */
  pause(name: string): Promise<ScheduleInfo> {
    return this.update(name, { enabled: false });
  }

  /** Fire again, from the next scheduled instant after now. */
  resume(name: string): Promise<ScheduleInfo> {
    return this.update(name, { enabled: true });
  }

  /** Publish the schedule's task now, outside its schedule; resolves the task id. */
  async trigger(name: string): Promise<string> {
    const current = await this.require(name);
    return this.publisher.publishNow(current.definition);
  }

  /**
   * Delete; resolves whether it existed. A `@Periodic` one comes back at the app's next boot,
   * or when the store's connection comes back.
   */
  remove(name: string): Promise<boolean> {
    return this.store.remove(name);
  }

  /**
   * Write `definition`, from an outside source of schedules (django-celery-beat's tables),
   * unless the stored one is the same. A schedule of that name from another source is left
   * alone ('taken'). Its run count and next fire are kept when only other fields changed, and
   * the run count starts again at 0 with `resetRuns` (a `one_off` row enabled again).
   * @internal
   */
  async mirror(
    definition: ScheduleDefinition,
    resetRuns = false,
  ): Promise<'written' | 'same' | 'taken'> {
    let outcome: 'written' | 'same' | 'taken' = 'same';
    await editSchedule(this.store, definition.name, (current) => {
      if (current && current.definition.source !== definition.source) outcome = 'taken';
      else if (
        current &&
        scheduleDefinitionJson(current.definition) === scheduleDefinitionJson(definition)
      ) {
        outcome = 'same';
      } else {
        outcome = 'written';
        const { definition: was } = current ?? {};
        const state = current && resetRuns ? { ...current.state, totalRuns: 0 } : current?.state;
        return { definition, state: freshState(definition, Date.now(), state, was?.schedule) };
      }
      return null;
    });
    return outcome;
  }

  private async require(name: string): Promise<StoredSchedule> {
    const current = await this.store.get(name);
    if (!current) throw new ConfigurationError(`No schedule named "${name}".`);
    return current;
  }
}
