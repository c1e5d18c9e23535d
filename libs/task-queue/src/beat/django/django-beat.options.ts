import type { DataSource } from 'typeorm';
import { ConfigurationError } from '../../errors/configuration.error.js';

/**
 * Options of `TaskQueueDjangoBeatModule.forRoot()`: where django-celery-beat's tables are.
 * @publicApi
 */
export interface DjangoBeatOptions {
  /** A TypeORM DataSource on the Django project's database (initialized by the app). */
  dataSource: DataSource;
  /** Schema of the tables (PostgreSQL), when they are not on the connection's search_path. */
  schema?: string;
  /**
   * How often the change marker (`django_celery_beat_periodictasks.last_update`) is read, in
   * ms (default 1 000): an edit in Django admin takes effect within about this long.
   */
  pollInterval?: number;
  /**
   * Every this many ms the rows are read again even with no change marked (default 300 000,
   * django-celery-beat's own resync): catches `QuerySet.update()` edits, which bypass it.
   */
  resyncInterval?: number;
}

/** {@link DjangoBeatOptions} with defaults applied. */
export interface ResolvedDjangoBeatOptions {
  dataSource: DataSource;
  schema: string | undefined;
  pollInterval: number;
  resyncInterval: number;
}

export function resolveDjangoBeatOptions(options: DjangoBeatOptions): ResolvedDjangoBeatOptions {
  const pollInterval = options.pollInterval ?? 1_000;
  const resyncInterval = options.resyncInterval ?? 300_000;
  if (!options.dataSource) {
    throw new ConfigurationError(
      'TaskQueueDjangoBeatModule needs the dataSource of the Django database: ' +
        'forRootAsync({ inject: [DataSource], useFactory: (dataSource) => ({ dataSource }) }).',
    );
  }
  for (const [name, value] of [
    ['pollInterval', pollInterval],
    ['resyncInterval', resyncInterval],
  ] as const) {
    if (!(Number.isFinite(value) && value >= 10)) {
      throw new ConfigurationError(
        `TaskQueueDjangoBeatModule ${name} must be a number of ms, 10 or more, got ${value}.`,
      );
    }
  }
  return { dataSource: options.dataSource, schema: options.schema, pollInterval, resyncInterval };
}
