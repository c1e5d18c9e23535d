import type { DataSource } from 'typeorm';
import { describeThrownLine } from '../../protocol/thrown-value.js';
import type { BeatFiredEvent } from '../beat-events.js';

/**
 * Writes the beat's runs of django-celery-beat schedules back to their rows, as Python's
 * `DatabaseScheduler` does: `last_run_at` and `total_run_count`, so Django admin shows them.
 * The run of a `one_off` row leaves it as Celery does: disabled, with `total_run_count` back
 * at 0 (so enabling it again in Django admin is allowed to run it again).
 * A plain UPDATE, which does not move the change marker (no re-read follows). Only the leader
 * fires, so one instance writes each run; a republished fire is not counted again.
 */
export class DjangoBeatRuns {
  private readonly sql: string;
  private readonly oneOffSql: string;
  private readonly textTimes: boolean;

  constructor(
    private readonly dataSource: DataSource,
    schema: string | undefined,
    private readonly warn: (message: string) => void,
  ) {
    const driver = dataSource.driver;
    const quoted = driver.escape('django_celery_beat_periodictask');
    const table = schema ? `${driver.escape(schema)}.${quoted}` : quoted;
    const at = driver.createParameter('at', 0);
    const name = driver.createParameter('name', 1);
    this.sql =
      `UPDATE ${table} SET last_run_at = ${at}, ` +
      `total_run_count = total_run_count + 1 WHERE name = ${name}`;
    this.oneOffSql =
      `UPDATE ${table} SET last_run_at = ${at}, total_run_count = 0, enabled = FALSE ` +
      `WHERE name = ${name}`;
    // MySQL / MariaDB DATETIME columns hold Django's UTC times as text without an offset.
    this.textTimes = ['mysql', 'mariadb'].includes(dataSource.options.type);
  }

  /**
   * Record one fire of a schedule mirrored from the tables (`oneOff`: of a `one_off` row, which
   * is disabled); failures are only logged.
   */
  async record(fire: BeatFiredEvent, oneOff = false): Promise<void> {
    if (fire.republished) return;
    // The scheduled instant (Celery writes its send time, a few ms later): an interval row's
    // next fires keep this phase (see intervalPhase), so it must not drift by the lateness.
    const at = new Date(fire.scheduledAt);
    const value = this.textTimes ? at.toISOString().replace('T', ' ').replace('Z', '') : at;
    try {
      await this.dataSource.query(oneOff ? this.oneOffSql : this.sql, [value, fire.name]);
    } catch (error) {
      this.warn(
        `Could not record the run of "${fire.name}" in django-celery-beat's table ` +
          `(${describeThrownLine(error)}); the run itself was published.`,
      );
    }
  }
}
