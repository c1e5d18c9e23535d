import type {
  ScheduleDefinition,
  ScheduleSpec,
  StoredScheduleSpec,
} from '../contracts/schedule-store.interface.js';
import { ConfigurationError } from '../errors/configuration.error.js';
import type { PeriodicOptions } from './periodic.decorator.js';
import { toStoredSpec } from './schedule-spec.js';
import { assertValidDefinition } from './schedule-validation.js';

/**
 * A validated definition (see {@link assertValidDefinition}) from the decorator's or the API's
 * options. Keys are always written in one order, so the same options give the same JSON (stores
 * compare it to skip rewrites).
 */
export function toScheduleDefinition(
  name: string,
  task: string,
  spec: ScheduleSpec | string,
  options: PeriodicOptions,
  source: ScheduleDefinition['source'],
  where = `schedule "${name}"`,
): ScheduleDefinition {
  if (!name) throw new ConfigurationError(`${where}: a schedule needs a name.`);
  if (!task) throw new ConfigurationError(`${where}: a schedule needs a task name.`);
  let stored: StoredScheduleSpec = toStoredSpec(
    typeof spec === 'string' ? { cron: spec, tz: options.tz } : spec,
    where,
  );
  if ('cron' in stored && !stored.tz) stored = { cron: stored.cron };
  const definition: ScheduleDefinition = {
    name,
    task,
    schedule: stored,
    args: options.args ?? [],
    kwargs: options.kwargs ?? {},
    enabled: options.enabled ?? true,
    source,
  };
  const optional: Partial<ScheduleDefinition> = {
    queue: options.queue,
    exchange: options.exchange,
    routingKey: options.routingKey,
    priority: options.priority,
    expires: options.expires,
    headers: options.headers,
    catchUp: options.catchUp,
    overlap: options.overlap,
    overlapTimeout: options.overlapTimeout,
    jitter: options.jitter,
    startAt: options.startAt?.getTime(),
    endAt: options.endAt?.getTime(),
    maxRuns: options.maxRuns,
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) (definition as unknown as Record<string, unknown>)[key] = value;
  }
  assertValidDefinition(definition, where);
  return definition;
}
