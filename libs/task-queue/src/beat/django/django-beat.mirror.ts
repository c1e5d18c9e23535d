import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { ScheduleDefinition } from '../../contracts/schedule-store.interface.js';
import type { Subscription } from 'rxjs';
import { describeThrownLine } from '../../protocol/thrown-value.js';
import { BeatEvents } from '../beat-events.js';
import { Schedules } from '../schedules.service.js';
import type { ResolvedDjangoBeatOptions } from './django-beat.options.js';
import { djangoRowToDefinition } from './django-beat.row.js';
import { DjangoBeatRuns } from './django-beat.runs.js';
import { DjangoBeatTables } from './django-beat.tables.js';
import { scheduleDefinitionJson } from '../../protocol/schedule-json.js';

/**
 * Whether `definition` is a `one_off` row enabled again after its run disabled it: Celery then
 * runs it once more (it reset `total_run_count` to 0 when it disabled it), so its count restarts.
 */
function isEnabledAgain(current: ScheduleDefinition | undefined, next: ScheduleDefinition) {
  return !!current && !current.enabled && next.enabled && next.maxRuns === 1;
}

/** DI token of the resolved django-celery-beat options. */
export const DJANGO_BEAT_CONFIG = 'Celeriac_django_beat_config';

/**
 * Keeps the beat's store in step with django-celery-beat's tables: Django admin (or any ORM
 * code) edits the rows, the cluster's beat fires them. Reads the change marker every
 * `pollInterval` and, when it moved (or every `resyncInterval`), every row: a new or changed
 * row is written as a schedule of source `django`, a deleted or unservable row's schedule is
 * removed. The runs the beat publishes are written back to the rows (`last_run_at`,
 * `total_run_count`, and `enabled` of a `one_off` row, see {@link DjangoBeatRuns}); nothing else
 * is written on the Django side.
 */
@Injectable()
export class DjangoBeatMirror implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Beat');
  private readonly tables: DjangoBeatTables;
  private readonly runs: DjangoBeatRuns;
  private fired?: Subscription;
  private reconnects?: Subscription;
  /** Names of the schedules written from the tables at the last read. */
  private mirrored = new Set<string>();
  /** Those of them from `one_off` rows (one run). */
  private oneOff = new Set<string>();
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private marker: number | null | undefined;
  private syncedAt = 0;
  /** The last warning of each row that cannot be served (said once until it changes). */
  private readonly refused = new Map<string, string>();
  private unreadable?: string;

  constructor(
    @Inject(DJANGO_BEAT_CONFIG) private readonly options: ResolvedDjangoBeatOptions,
    private readonly schedules: Schedules,
    private readonly events: BeatEvents,
  ) {
    this.tables = new DjangoBeatTables(options.dataSource, options.schema);
    this.runs = new DjangoBeatRuns(options.dataSource, options.schema, (line) =>
      this.logger.warn(line),
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    this.fired = this.events.on('fired').subscribe((fire) => {
      if (!this.mirrored.has(fire.name)) return;
      const oneOff = this.oneOff.has(fire.name);
      // A one_off row is now disabled: read it at the next poll, so the schedule is paused too.
      void this.runs.record(fire, oneOff).then(() => {
        if (oneOff) this.syncedAt = 0;
      });
    });
    // The store may have lost the rows' schedules (a Redis restarted without persistence):
    // read every row at the next poll rather than at the next resync.
    this.reconnects = this.schedules.storeReconnects.subscribe(() => (this.syncedAt = 0));
    await this.poll();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.fired?.unsubscribe();
    this.reconnects?.unsubscribe();
  }

  /** Read the marker, sync when it moved or the resync is due; then poll again later. */
  private async poll(): Promise<void> {
    try {
      const marker = await this.tables.changeMarker();
      if (marker !== this.marker || Date.now() - this.syncedAt >= this.options.resyncInterval) {
        await this.sync();
        this.marker = marker;
      }
      if (this.unreadable) {
        this.logger.log('django-celery-beat tables readable again; schedules are in step.');
        this.unreadable = undefined;
      }
    } catch (error) {
      const reason = describeThrownLine(error);
      if (this.unreadable !== reason) {
        this.logger.warn(
          `Cannot read django-celery-beat's tables: ${reason}. The schedules read last keep ` +
            `firing; retrying every ${this.options.pollInterval} ms. If the tables are missing, ` +
            'run `python manage.py migrate django_celery_beat` (or set `schema`).',
        );
        this.unreadable = reason;
      }
    }
    if (!this.stopped) {
      this.timer = setTimeout(() => void this.poll(), this.options.pollInterval);
      this.timer.unref();
    }
  }

  private async sync(): Promise<void> {
    const wanted = new Map<string, ScheduleDefinition>();
    const rows = await this.tables.rows();
    for (const row of rows) {
      try {
        wanted.set(row.name, djangoRowToDefinition(row));
      } catch (error) {
        const reason = (error as Error).message.replace(/\.$/, '');
        this.refuse(row.name, `${reason}; it does not fire.`);
      }
    }
    let written = 0;
    let removed = 0;
    const mirrored = new Set<string>();
    // One read of the store; only what differs is written (each write compare-and-set).
    const stored = new Map((await this.schedules.list()).map((s) => [s.name, s.definition]));
    for (const definition of wanted.values()) {
      const current = stored.get(definition.name);
      const outcome =
        current && current.source !== definition.source
          ? 'taken'
          : current && scheduleDefinitionJson(current) === scheduleDefinitionJson(definition)
            ? 'same'
            : await this.schedules.mirror(definition, isEnabledAgain(current, definition));
      if (outcome === 'written') written++;
      if (outcome !== 'taken') {
        this.refused.delete(definition.name);
        mirrored.add(definition.name);
      } else {
        this.refuse(
          definition.name,
          `django-celery-beat task "${definition.name}" is not served: a schedule of that ` +
            'name from @Periodic or the Schedules API exists; rename one of them.',
        );
      }
    }
    for (const [name, definition] of stored) {
      if (definition.source === 'django' && !wanted.has(name)) {
        if (await this.schedules.remove(name)) removed++;
      }
    }
    this.mirrored = mirrored;
    this.oneOff = new Set(
      [...wanted.values()]
        .filter((d) => d.maxRuns === 1 && mirrored.has(d.name))
        .map((d) => d.name),
    );
    const names = new Set(rows.map((row) => row.name));
    for (const name of this.refused.keys()) if (!names.has(name)) this.refused.delete(name);
    this.syncedAt = Date.now();
    if (written || removed) {
      this.logger.log(
        `django-celery-beat: ${written} schedule(s) written, ${removed} removed ` +
          `(${wanted.size} servable row(s)).`,
      );
    }
  }

  private refuse(name: string, message: string): void {
    if (this.refused.get(name) === message) return;
    this.refused.set(name, message);
    this.logger.warn(message);
  }
}
