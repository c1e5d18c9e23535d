import type { ScheduleDefinition } from '../contracts/schedule-store.interface.js';
import { encodeJson } from './json-codec.js';
import { decodePythonJson } from './python-floats.js';

/**
 * A schedule definition as the stores hold it and the beat compares it: the task-message JSON
 * (see json-codec.ts), so arguments beyond 2^53 (BigInts, as a django-celery-beat row's
 * `[2**70]` decodes) are written exactly instead of making JSON.stringify throw. Throws
 * UnserializableValueError naming the schedule for what JSON has no form for.
 */
export function scheduleDefinitionJson(definition: ScheduleDefinition): string {
  return encodeJson(definition, `the definition of schedule "${definition.name}"`);
}

/** A stored definition's text read back: integers beyond 2^53 as BigInts, as written. */
export function parseScheduleDefinition(text: string): unknown {
  return decodePythonJson(text, 'definition');
}
