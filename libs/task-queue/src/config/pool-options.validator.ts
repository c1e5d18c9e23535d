import { ConfigurationError } from '../errors/configuration.error.js';
import type { PoolKind } from '../contracts/task-options.interface.js';
import { INVALID_OPTION } from '../task-queue.messages.js';
import { rejectUnknownOptions } from './known-options.js';
import type { ResolvedIsolateOptions } from './resolved-options.js';
import type { WorkerOptions } from './task-queue-options.interface.js';

const KINDS: PoolKind[] = ['inline', 'threads', 'processes'];
const KNOWN = [
  'module',
  'export',
  'size',
  'spare',
  'inFlight',
  'maxTasksPerChild',
  'maxMemoryPerChild',
  'maxHeapMb',
  'bootTimeout',
];

function fail(option: string, accepted: string, got: unknown): never {
  throw new ConfigurationError(INVALID_OPTION(option, accepted, got));
}

function count(option: string, value: unknown, fallback: number | undefined, min: number) {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min)
    fail(option, `a whole number ≥ ${min}`, value);
  return value;
}

/** `worker.pool` and `worker.isolates`, validated, with defaults. */
export function resolvePoolOptions(worker: WorkerOptions): {
  pool: PoolKind;
  isolates: ResolvedIsolateOptions | undefined;
} {
  const pool = worker.pool ?? 'inline';
  if (!KINDS.includes(pool)) fail('worker.pool', "'inline', 'threads' or 'processes'", pool);
  const given = worker.isolates;
  if (given === undefined) {
    if (pool !== 'inline')
      fail('worker.isolates', `{ module } when worker.pool is '${pool}'`, given);
    return { pool, isolates: undefined };
  }
  if (typeof given !== 'object' || given === null) fail('worker.isolates', 'an object', given);
  rejectUnknownOptions('TaskQueueModule', 'worker.isolates', given, KNOWN);
  if (typeof given.module !== 'string' || !given.module)
    fail(
      'worker.isolates.module',
      'the path or file: URL of a compiled JavaScript file',
      given.module,
    );
  const name = given.export ?? 'default';
  if (typeof name !== 'string' || !name) fail('worker.isolates.export', 'an export name', name);
  return {
    pool,
    isolates: {
      module: given.module,
      export: name,
      size: count('worker.isolates.size', given.size, 2, 1)!,
      spare: count('worker.isolates.spare', given.spare, 1, 0)!,
      inFlight: count('worker.isolates.inFlight', given.inFlight, 1, 1)!,
      bootTimeout: count('worker.isolates.bootTimeout', given.bootTimeout, 60_000, 1)!,
      maxTasksPerChild: count(
        'worker.isolates.maxTasksPerChild',
        given.maxTasksPerChild,
        undefined,
        1,
      ),
      maxMemoryPerChild: count(
        'worker.isolates.maxMemoryPerChild',
        given.maxMemoryPerChild,
        undefined,
        1,
      ),
      maxHeapMb: count('worker.isolates.maxHeapMb', given.maxHeapMb, undefined, 16),
    },
  };
}
