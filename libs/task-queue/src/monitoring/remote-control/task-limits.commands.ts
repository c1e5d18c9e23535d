import { Logger } from '@nestjs/common';
import type { RateLimit } from '../../contracts/task-options.interface.js';
import type { TaskRegistry } from '../../tasks/task.registry.js';

const logger = new Logger('CeleryControl');

/**
 * Celery's `rate_limit` control command (`celery control rate_limit <task> <rate>`): the task's
 * per-worker `rateLimit` on this worker becomes `rate` (`'10/m'`, `'5'` per second, `''` or `0`:
 * none). Tasks already waiting for a start slot keep the slot they reserved. Replies as Celery.
 */
export function setRateLimit(registry: TaskRegistry, args: Record<string, unknown>): unknown {
  const name = String(args.task_name);
  const raw = args.rate_limit ?? null;
  const parsed = parseRate(raw);
  if ('error' in parsed) return { error: `Invalid rate limit string: ${parsed.error}` };
  const definition = registry.get(name);
  if (!definition) {
    logger.error(`Rate limit attempt for unknown task ${name}: no such task on this worker.`);
    return { error: 'unknown task' };
  }
  definition.options = { ...definition.options, rateLimit: parsed.rate };
  if (parsed.rate === undefined) {
    logger.log(`Rate limits disabled for tasks of type ${name} (remote control).`);
    return { ok: 'rate limit disabled successfully' };
  }
  logger.log(`New rate limit for tasks of type ${name}: ${String(raw)} (remote control).`);
  return { ok: 'new rate limit set successfully' };
}

/**
 * Celery's `time_limit` control command (`celery control time_limit <task> <soft> [hard]`): the
 * task's `softTimeLimit` / `timeLimit` on this worker (a missing or 0 value removes that limit), for
 * the runs that start afterwards. A message's own `timelimit` still wins, as in Celery.
 */
export function setTimeLimit(registry: TaskRegistry, args: Record<string, unknown>): unknown {
  const name = String(args.task_name);
  const soft = seconds(args.soft);
  const hard = seconds(args.hard);
  if (soft === null || hard === null) {
    return { error: `invalid time limit: soft=${String(args.soft)} hard=${String(args.hard)}` };
  }
  const definition = registry.get(name);
  if (!definition) {
    logger.error(
      `Change time limit attempt for unknown task ${name}: no such task on this worker.`,
    );
    return { error: 'unknown task' };
  }
  definition.options = { ...definition.options, softTimeLimit: soft, timeLimit: hard };
  logger.log(
    `New time limits for tasks of type ${name}: soft=${soft ?? 'None'} hard=${hard ?? 'None'} (remote control).`,
  );
  return { ok: 'time limits set successfully' };
}

/** Celery's `rate()`: `'n'`, `'n/s'`, `'n/m'`, `'n/h'` or a number; empty or zero: no limit. */
function parseRate(raw: unknown): { rate: RateLimit | undefined } | { error: string } {
  if (raw === null || raw === '' || raw === 0 || raw === false) return { rate: undefined };
  if (typeof raw === 'number' && Number.isFinite(raw) && raw > 0) return { rate: raw };
  if (typeof raw !== 'string') return { error: `TypeError(${JSON.stringify(String(raw))})` };
  const [ops = '', unit = 's', extra] = raw.split('/');
  const count = Number(ops);
  if (extra !== undefined || !/^(s|m|h)$/.test(unit)) {
    return { error: `ValueError('unknown rate unit in ${raw}: use n/s, n/m or n/h')` };
  }
  if (ops.trim() === '' || !Number.isFinite(count) || count < 0) {
    return { error: `ValueError("could not convert string to float: '${ops}'")` };
  }
  if (count === 0) return { rate: undefined };
  return { rate: `${count}/${unit as 's' | 'm' | 'h'}` };
}

/**
 * A limit in seconds: undefined when not given or 0 (Celery's `time_limit <task> 0 0` removes
 * the limits: billiard reads 0 as none), null when not a number or negative.
 */
function seconds(value: unknown): number | undefined | null {
  if (value === undefined || value === null || value === 0) return undefined;
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : null;
}
