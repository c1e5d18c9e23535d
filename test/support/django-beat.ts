import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const SCRIPT = fileURLToPath(new URL('./django_beat.py', import.meta.url));
const run = promisify(execFile);

/**
 * django-celery-beat's tables in a PostgreSQL schema (or, on `mariadb`, a MariaDB database) of
 * one test file, edited through Django's ORM (test/support/django_beat.py), as Django admin
 * edits them.
 */
export class DjangoBeatTables {
  constructor(
    readonly schema: string,
    readonly engine: 'postgresql' | 'mariadb' = 'postgresql',
  ) {}

  /** Create the schema and run django-celery-beat's migrations in it. */
  async migrate(): Promise<void> {
    await this.call('migrate');
  }

  async drop(): Promise<void> {
    await this.call('drop');
  }

  /** `command` of django_beat.py (interval, crontab, solar, update, delete) with `fields`. */
  async call(command: string, fields?: Record<string, unknown>): Promise<string> {
    const args = [SCRIPT, this.schema, command];
    if (fields) args.push(JSON.stringify(fields));
    const env = { ...process.env, DJANGO_BEAT_DB: this.engine };
    return (await run('/usr/bin/python3', args, { timeout: 60_000, env })).stdout;
  }

  /** A row's run columns as Django's ORM reads them back (`last_run_at` as ISO text). */
  async read(
    name: string,
  ): Promise<{ last_run_at: string | null; total_run_count: number; enabled: boolean }> {
    return JSON.parse(await this.call('read', { name })) as {
      last_run_at: string | null;
      total_run_count: number;
      enabled: boolean;
    };
  }
}
