import type { ResolvedTaskQueueOptions } from '../../config/resolved-options.js';

/** Celery's HIDDEN_SETTINGS (celery/app/utils.py): a setting whose name matches is masked. */
const HIDDEN_SETTINGS = /API|TOKEN|KEY|SECRET|PASS|PROFANITIES_LIST|SIGNATURE|DATABASE/i;
/** Celery's mask: eight asterisks. */
const MASK = '********';

/**
 * The `conf` command (`celery inspect conf`): the worker's settings under Celery's names, as
 * Celery's `app.conf.table()` answers, with secrets masked as its `filter_hidden_settings`
 * masks them (a name matching HIDDEN_SETTINGS is `********`; the password of `broker_url` and
 * of a `*backend*` URL too). Celeriac's options are resolved with their defaults, so the
 * effective value of each is listed whether it was set or not (`with_defaults` changes
 * nothing); options without a Celery setting are left out.
 */
export function workerConf(config: ResolvedTaskQueueOptions): Record<string, unknown> {
  const { worker, taskDefaults: task } = config;
  const settings: Record<string, unknown> = {
    broker_url: transportName(config.broker),
    result_backend: config.resultBackend === false ? null : transportName(config.resultBackend),
    result_expires: config.resultExpires,
    result_extended: config.resultExtended,
    task_default_queue: config.defaultQueue,
    task_routes: Object.fromEntries(config.routes.map((r) => [r.pattern, { ...r.route }])),
    task_acks_late: task.acksLate ?? true,
    task_reject_on_worker_lost: task.rejectOnWorkerLost ?? null,
    task_ignore_result: task.ignoreResult ?? false,
    task_track_started: task.trackStarted ?? false,
    task_time_limit: task.timeLimit ?? null,
    task_soft_time_limit: task.softTimeLimit ?? null,
    task_default_rate_limit: task.rateLimit ?? null,
    task_default_priority: task.priority ?? null,
    worker_concurrency: worker.concurrency,
    worker_prefetch_multiplier: worker.prefetch,
    worker_pool: worker.pool,
    worker_send_task_events: config.events.taskEvents,
  };
  return filterHiddenSettings(settings);
}

/** Celery's `filter_hidden_settings`: mask secrets, recursing into mappings. */
export function filterHiddenSettings(conf: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(conf)) {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      out[key] = filterHiddenSettings(value as Record<string, unknown>);
    } else if (HIDDEN_SETTINGS.test(key)) out[key] = MASK;
    else if (/broker_url|backend/i.test(key) && typeof value === 'string') {
      out[key] = maskPassword(value);
    } else out[key] = value;
  }
  return out;
}

/** A URL with its password replaced by Celery's mask (`amqp://guest:********@host//`). */
export function maskPassword(url: string): string {
  return url.replace(/^([a-z][\w+.-]*:\/\/[^:/@]*:)[^@/]*@/i, `$1${MASK}@`);
}

/** A transport given as a URL, or the class name of one given as an instance. */
function transportName(transport: string | object): string {
  return typeof transport === 'string' ? transport : `<${transport.constructor.name}>`;
}
