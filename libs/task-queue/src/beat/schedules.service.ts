import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { filter, map, type Observable, type Subscription } from 'rxjs';
import type {
  ScheduleDefinition,
  ScheduleSpec,
  ScheduleStore,
  StoredSchedule,
  StoredScheduleSpec,
} from '../contracts/schedule-store.interface.js';
import { ConfigurationError } from '../errors/configuration.error.js';
import { TaskQueueError } from '../errors/task-queue.error.js';
import { describeThrownLine } from '../protocol/thrown-value.js';
import { BEAT_CONFIG, SCHEDULE_STORE } from './beat.constants.js';
import type { ResolvedBeatOptions } from './beat-options.js';
import { BeatPublisher } from './beat-publisher.js';
import { freshState } from './fire-planner.js';
import { OverlapGuard } from './overlap-guard.js';
import type { PeriodicOptions } from './periodic.decorator.js';
import { PeriodicExplorer } from './periodic.explorer.js';
import { toScheduleDefinition } from './schedule-definition.js';
import { assertValidDefinition } from './schedule-validation.js';

/** Read-and-write rounds of one edit that keeps losing to concurrent writers, at most. */
const EDIT_ATTEMPTS = 20;

/** A schedule as `Schedules.list()` shows it. @publicApi */
export interface ScheduleInfo {
  name: string;
  task: string;
  schedule: StoredScheduleSpec;
  enabled: boolean;
  source: ScheduleDefinition['source'];
  /** Next scheduled instant (null: paused or finished). */
  nextFireAt: Date | null;
  lastRunAt: Date | null;
  lastTaskId: string | null;
  totalRuns: number;
  definition: ScheduleDefinition;
}

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
  /** The store's "changes may have been missed" signal, while `@Periodic`s are synced. */
  private reconnects?: Subscription;
  private restoreRetry?: NodeJS.Timeout;

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
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    for (const definition of this.explorer.definitions) this.overlap.assertUsable(definition);
    if (!this.config.syncDecorators) return;
    let written = 0;
    for (const coded of this.explorer.definitions) {
      const wrote = await this.edit(coded.name, (current) => {
        // `enabled` in the code is the state a schedule is first written with; after that,
        // pause() / resume() (CLI, dashboard) decide, and a boot must not undo them.
        const definition = current ? { ...coded, enabled: current.definition.enabled } : coded;
        if (current && JSON.stringify(current.definition) === JSON.stringify(definition)) {
          return null;
        }
        return { definition, state: freshState(definition, Date.now(), current?.state) };
      });
      if (wrote) written++;
    }
    if (written) this.logger.log(`Beat wrote ${written} @Periodic schedule(s) to the store.`);
    // A store that lost its data (a Redis restarted without persistence, a database restored
    // from an older backup) would otherwise stop every coded schedule until the next boot.
    if (this.explorer.definitions.length) {
      this.reconnects = this.storeReconnects.subscribe(() => void this.restoreMissing());
    }
  }

  onModuleDestroy(): void {
    this.reconnects?.unsubscribe();
    this.reconnects = undefined;
    clearTimeout(this.restoreRetry);
  }

  /**
   * After the store's connection came back: write again the `@Periodic` schedules it no longer
   * has. Only missing ones: a stored one (edited, paused, or another version's during a
   * rolling deploy) is left alone, as it was before the reconnect.
   */
  private async restoreMissing(): Promise<void> {
    clearTimeout(this.restoreRetry);
    const restored: string[] = [];
    try {
      for (const coded of this.explorer.definitions) {
        const wrote = await this.edit(coded.name, (current) =>
          current ? null : { definition: coded, state: freshState(coded, Date.now()) },
        );
        if (wrote) restored.push(coded.name);
      }
    } catch (error) {
      if (!this.reconnects) return;
      this.logger.warn(
        `Beat could not check the @Periodic schedules after the store reconnected: ` +
          `${describeThrownLine(error)}. Retrying in ${this.config.renewMs} ms.`,
      );
      this.restoreRetry = setTimeout(() => void this.restoreMissing(), this.config.renewMs);
      this.restoreRetry.unref();
    }
    if (restored.length) {
      this.logger.warn(
        `Beat wrote back ${restored.length} @Periodic schedule(s) missing from the store after ` +
          `its connection came back (${restored.join(', ')}): the store lost them, e.g. a ` +
          `Redis restarted without persistence. Their run counts start again at 0.`,
      );
    }
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
    const written = await this.edit(name, (current) => ({
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
    const written = await this.edit(name, (current) => {
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
   * alone ('taken'). Its run count and next fire are kept when only other fields changed.
   * @internal
   */
  async mirror(definition: ScheduleDefinition): Promise<'written' | 'same' | 'taken'> {
    let outcome: 'written' | 'same' | 'taken' = 'same';
    await this.edit(definition.name, (current) => {
      if (current && current.definition.source !== definition.source) outcome = 'taken';
      else if (current && JSON.stringify(current.definition) === JSON.stringify(definition)) {
        outcome = 'same';
      } else {
        outcome = 'written';
        const { state, definition: was } = current ?? {};
        return { definition, state: freshState(definition, Date.now(), state, was?.schedule) };
      }
      return null;
    });
    return outcome;
  }

  /**
   * Read schedule `name`, let `change` compute what to write from it (null: nothing), and write
   * that compare-and-set on the revision read. When a claim of the leader or another edit wrote
   * the schedule in between, read it again and recompute: neither change is lost. Resolves
   * what was written (null: nothing).
   */
  private async edit(
    name: string,
    change: (current: StoredSchedule | null) => StoredSchedule | null,
  ): Promise<StoredSchedule | null> {
    let absentRefused = false;
    for (let attempt = 1; ; attempt++) {
      const current = await this.store.get(name);
      const next = change(current);
      if (!next) return null;
      const ifRev = current?.state.rev ?? 0;
      // Read as absent again after a create was refused: the store holds a row it cannot read
      // (stores skip unreadable JSON). Creating replaces it, as an add always did.
      const replace = !current && absentRefused;
      const saved = await this.store.save(next.definition, next.state, replace ? {} : { ifRev });
      if (saved) {
        const rev = replace ? next.state.rev : ifRev + 1;
        return { definition: next.definition, state: { ...next.state, rev } };
      }
      absentRefused = !current;
      if (attempt === EDIT_ATTEMPTS) {
        throw new TaskQueueError(
          `Schedule "${name}" changed ${EDIT_ATTEMPTS} times while being edited; try again.`,
        );
      }
      // Someone else wrote it meanwhile: back off a little (random), then start again.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
    }
  }

  private async require(name: string): Promise<StoredSchedule> {
    const current = await this.store.get(name);
    if (!current) throw new ConfigurationError(`No schedule named "${name}".`);
    return current;
  }
}

function toInfo({ definition, state }: StoredSchedule): ScheduleInfo {
  const date = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));
  return {
    name: definition.name,
    task: definition.task,
    schedule: definition.schedule,
    enabled: definition.enabled,
    source: definition.source,
    nextFireAt: date(state.nextFireAt),
    lastRunAt: date(state.lastRunAt),
    lastTaskId: state.lastTaskId,
    totalRuns: state.totalRuns,
    definition,
  };
}
