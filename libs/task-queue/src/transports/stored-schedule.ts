import type {
  PendingFire,
  ScheduleDefinition,
  ScheduleState,
  StoredSchedule,
} from '../contracts/schedule-store.interface.js';
import { parseScheduleDefinition } from '../protocol/schedule-json.js';

/**
 * A schedule as a store holds it (definition and state as JSON text, the revision), checked
 * for the shape the beat relies on. A row written by hand or by another tool can be valid JSON
 * and still not a schedule (`null`, a number, no `task`, a name other than its key); read
 * as-is it stopped the leader from loading any schedule. Throws an Error saying what is wrong;
 * the store skips that row with a warning.
 */
export function readStoredSchedule(
  name: string,
  definitionJson: string,
  stateJson: string | null | undefined,
  rev: string | number | null | undefined,
): StoredSchedule {
  const definition = parseScheduleDefinition(definitionJson);
  if (!isObject(definition))
    throw new Error(`its definition is ${kind(definition)}, not an object`);
  if (definition.name !== name) {
    throw new Error(`its definition names ${JSON.stringify(definition.name)}, not "${name}"`);
  }
  if (typeof definition.task !== 'string' || !definition.task) {
    throw new Error('its definition has no task name');
  }
  if (!isObject(definition.schedule)) throw new Error('its definition has no schedule object');
  checkSpec(definition.schedule);
  const args = definition.args ?? [];
  const kwargs = definition.kwargs ?? {};
  if (!Array.isArray(args)) throw new Error(`its args are ${kind(args)}, not an array`);
  if (!isObject(kwargs)) throw new Error(`its kwargs are ${kind(kwargs)}, not an object`);
  const state = stateJson ? (JSON.parse(stateJson) as unknown) : {};
  if (!isObject(state)) throw new Error(`its state is ${kind(state)}, not an object`);
  for (const field of ['nextFireAt', 'lastRunAt'] as const) {
    const value = state[field];
    if (value != null && !(typeof value === 'number' && Number.isFinite(value))) {
      throw new Error(`its state's ${field} is ${JSON.stringify(value)}, not an epoch-ms instant`);
    }
  }
  return {
    definition: { ...definition, args, kwargs } as unknown as ScheduleDefinition,
    state: {
      nextFireAt: instantOrNull(state.nextFireAt),
      lastRunAt: instantOrNull(state.lastRunAt),
      lastTaskId: typeof state.lastTaskId === 'string' ? state.lastTaskId : null,
      totalRuns: typeof state.totalRuns === 'number' ? state.totalRuns : 0,
      rev: Number(rev ?? 0),
    } satisfies ScheduleState,
  };
}

/**
 * The spec must be one the planner can walk: a cron string, a positive whole number of ms, or
 * an instant. (A period of 0 or less, read as-is, made the leader publish a fire on every
 * tick, tens of thousands of messages, and `celeriac schedule ls` fail.)
 */
function checkSpec(spec: Record<string, unknown>): void {
  if ('cron' in spec) {
    if (typeof spec.cron !== 'string')
      throw new Error(`its cron is ${kind(spec.cron)}, not a string`);
    if (spec.tz !== undefined && typeof spec.tz !== 'string') {
      throw new Error(`its tz is ${kind(spec.tz)}, not a string`);
    }
    return;
  }
  if ('every' in spec) {
    const every = spec.every;
    if (!(typeof every === 'number' && Number.isFinite(every) && Math.round(every * 1000) >= 1)) {
      throw new Error(
        `its every is ${JSON.stringify(every)}, not a number of seconds of 0.001 or more`,
      );
    }
    return;
  }
  if ('at' in spec) {
    if (!(typeof spec.at === 'number' && Number.isFinite(spec.at))) {
      throw new Error(`its at is ${JSON.stringify(spec.at)}, not an epoch-ms instant`);
    }
    return;
  }
  throw new Error('its schedule has none of cron, every and at');
}

function instantOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/**
 * A pending fire as a store holds it (JSON text), or null when it is not one: such a row
 * (a hand edit) is left out instead of stopping the new leader's first load.
 */
export function readPendingFire(text: string): PendingFire | null {
  let fire: unknown;
  try {
    fire = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObject(fire)) return null;
  const { name, taskId, scheduledAt } = fire;
  if (typeof name !== 'string' || typeof taskId !== 'string') return null;
  if (!(typeof scheduledAt === 'number' && Number.isFinite(scheduledAt))) return null;
  return { name, taskId, scheduledAt };
}
