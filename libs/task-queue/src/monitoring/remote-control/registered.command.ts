import type { TaskOptions } from '../../contracts/task-options.interface.js';
import type { TaskRegistry } from '../../tasks/task.registry.js';

/** Celery's `DEFAULT_TASK_INFO_ITEMS`: what `inspect registered` shows without arguments. */
const DEFAULT_ITEMS = ['exchange', 'routing_key', 'rate_limit'];

/** Celery task attributes a Node task has, by their Python names. */
const ATTRIBUTES: Record<string, keyof TaskOptions> = {
  rate_limit: 'rateLimit',
  time_limit: 'timeLimit',
  soft_time_limit: 'softTimeLimit',
  max_retries: 'maxRetries',
  default_retry_delay: 'defaultRetryDelay',
  acks_late: 'acksLate',
  reject_on_worker_lost: 'rejectOnWorkerLost',
  ignore_result: 'ignoreResult',
  track_started: 'trackStarted',
  expires: 'expires',
  priority: 'priority',
  queue: 'queue',
};

/**
 * Celery's `registered` / `dump_tasks` (`celery inspect registered [attr ...]`): the task names
 * (built-in `celery.*` tasks left out), each followed by `[attr=value ...]` for the requested
 * attributes (`taskinfoitems`, default `exchange routing_key rate_limit`) that the task has set,
 * as Celery writes them: so `control rate_limit` / `time_limit` can be checked.
 */
export function registeredTasks(registry: TaskRegistry, args: Record<string, unknown>): string[] {
  const requested = Array.isArray(args.taskinfoitems)
    ? args.taskinfoitems.filter((item): item is string => typeof item === 'string')
    : [];
  const items = requested.length > 0 ? requested : DEFAULT_ITEMS;
  return registry
    .names()
    .filter((name) => !name.startsWith('celery.'))
    .sort()
    .map((name) => {
      const options = registry.get(name)?.options ?? {};
      const fields = items.flatMap((item) => {
        const key = ATTRIBUTES[item];
        const value = key ? options[key] : undefined;
        return value === undefined || value === null ? [] : [`${item}=${pythonStr(value)}`];
      });
      return fields.length > 0 ? `${name} [${fields.join(' ')}]` : name;
    });
}

/** Python's `str()` of a JSON-like option value. */
function pythonStr(value: unknown): string {
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  return typeof value === 'string' || typeof value === 'number'
    ? String(value)
    : JSON.stringify(value);
}
