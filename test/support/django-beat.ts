import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const SCRIPT = fileURLToPath(new URL('./django_beat.py', import.meta.url));
const run = promisify(execFile);

/**
 * django-celery-beat's tables in a PostgreSQL schema of one test file, edited through Django's
 * ORM (test/support/django_beat.py), as Django admin edits them.
 */
export class DjangoBeatTables {
  constructor(readonly schema: string) {}

  /** Create the schema and run django-celery-beat's migrations in it. */
  migrate(): Promise<void> {
    return this.call('migrate');
  }

  drop(): Promise<void> {
    return this.call('drop');
  }

  /** `command` of django_beat.py (interval, crontab, solar, update, delete) with `fields`. */
  async call(command: string, fields?: Record<string, unknown>): Promise<void> {
    const args = [SCRIPT, this.schema, command];
    if (fields) args.push(JSON.stringify(fields));
    await run('/usr/bin/python3', args, { timeout: 60_000 });
  }
}
