import type { DataSource } from 'typeorm';
import type { DjangoTaskRow } from './django-beat.row.js';

/**
 * Reads django-celery-beat's tables (`django_celery_beat_*`, as its migrations create them) on
 * the Django database: the change marker its models bump on every save through the ORM, and
 * every periodic task with its schedule. Plain SELECTs with the driver's own quoting, so any
 * database TypeORM and Django share (tested: PostgreSQL, MariaDB) serves. On MySQL /
 * MariaDB the DATETIME columns (Django's UTC times without an offset) are read as text, so the
 * driver's `timezone` (the process's local zone by default) cannot shift them.
 */
export class DjangoBeatTables {
  private readonly rowsSql: string;
  private readonly markerSql: string;

  constructor(
    private readonly dataSource: DataSource,
    schema?: string,
  ) {
    const table = (name: string): string => {
      const quoted = dataSource.driver.escape(`django_celery_beat_${name}`);
      return schema ? `${dataSource.driver.escape(schema)}.${quoted}` : quoted;
    };
    const textTimes = ['mysql', 'mariadb'].includes(dataSource.options.type);
    const time = (column: string, alias: string): string =>
      textTimes ? `CAST(${column} AS CHAR) AS ${alias}` : `${column} AS ${alias}`;
    this.markerSql =
      `SELECT ${time('last_update', 'last_update')} ` +
      `FROM ${table('periodictasks')} WHERE ident = 1`;
    this.rowsSql =
      'SELECT t.id, t.name, t.task, t.args, t.kwargs, t.queue, t.exchange, t.routing_key, ' +
      't.priority, t.headers, ' +
      `${time('t.expires', 'expires')}, t.expire_seconds, t.one_off, ` +
      `${time('t.start_time', 'start_time')}, t.enabled, t.total_run_count, ` +
      `${time('t.last_run_at', 'last_run_at')}, ${time('t.date_changed', 'date_changed')}, ` +
      'i.every AS interval_every, i.period AS interval_period, ' +
      'c.minute AS cron_minute, c.hour AS cron_hour, c.day_of_week AS cron_day_of_week, ' +
      'c.day_of_month AS cron_day_of_month, c.month_of_year AS cron_month_of_year, ' +
      `c.timezone AS cron_timezone, ${time('k.clocked_time', 'clocked_time')}, ` +
      's.event AS solar_event ' +
      `FROM ${table('periodictask')} t ` +
      `LEFT JOIN ${table('intervalschedule')} i ON i.id = t.interval_id ` +
      `LEFT JOIN ${table('crontabschedule')} c ON c.id = t.crontab_id ` +
      `LEFT JOIN ${table('clockedschedule')} k ON k.id = t.clocked_id ` +
      `LEFT JOIN ${table('solarschedule')} s ON s.id = t.solar_id ` +
      'ORDER BY t.id';
  }

  /** `PeriodicTasks.last_update` as epoch ms (null: never changed through the ORM). */
  async changeMarker(): Promise<number | null> {
    const rows = (await this.dataSource.query(this.markerSql)) as { last_update: unknown }[];
    const value = rows[0]?.last_update;
    if (value === undefined || value === null) return null;
    return value instanceof Date ? value.getTime() : new Date(String(value)).getTime();
  }

  /** Every periodic task row, enabled or not. */
  async rows(): Promise<DjangoTaskRow[]> {
    return (await this.dataSource.query(this.rowsSql)) as DjangoTaskRow[];
  }
}
