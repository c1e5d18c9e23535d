import { ConfigurationError } from '../errors/configuration.error.js';
import type { TaskOptions } from '../contracts/task-options.interface.js';
import { INVALID_OPTION } from '../task-queue.messages.js';
import { rejectUnknownOptions } from './known-options.js';

const RATE = /^\d+(\.\d+)?\/[smh]$/;
/** Every key of TaskOptions (contracts/task-options.interface.ts). */
const KNOWN: readonly (keyof TaskOptions)[] = [
  'params',
  'schema',
  'queue',
  'priority',
  'maxRetries',
  'defaultRetryDelay',
  'autoretryFor',
  'dontAutoretryFor',
  'retryBackoff',
  'retryBackoffMax',
  'retryJitter',
  'acksLate',
  'rejectOnWorkerLost',
  'ignoreResult',
  'trackStarted',
  'pool',
  'timeLimit',
  'softTimeLimit',
  'rateLimit',
  'expires',
  'globalRateLimit',
  'dedupe',
];

/**
 * Validate task options (from `@Task()` or `taskDefaults`); `where` prefixes the option names
 * in messages, e.g. `@Task('orders.process').maxRetries`.
 */
export function validateTaskOptions(options: TaskOptions, where: string): TaskOptions {
  const fail = (key: string, accepted: string, got: unknown): never => {
    throw new ConfigurationError(INVALID_OPTION(`${where}.${key}`, accepted, got));
  };
  rejectUnknownOptions('TaskQueueModule', where, options, KNOWN);
  const { queue, priority, maxRetries, defaultRetryDelay, retryBackoff, retryBackoffMax } = options;
  if (queue !== undefined && (typeof queue !== 'string' || !queue))
    fail('queue', 'a non-empty string', queue);
  if (priority !== undefined && !isInt(priority, 0, 9))
    fail('priority', 'an integer from 0 to 9', priority);
  if (maxRetries !== undefined && maxRetries !== null && !isInt(maxRetries, 0)) {
    fail('maxRetries', 'a whole number ≥ 0, or null to retry forever', maxRetries);
  }
  for (const [key, value] of Object.entries({
    defaultRetryDelay,
    retryBackoffMax,
    timeLimit: options.timeLimit,
    softTimeLimit: options.softTimeLimit,
    expires: options.expires,
  })) {
    if (
      value !== undefined &&
      !(typeof value === 'number' && value >= 0 && Number.isFinite(value))
    ) {
      fail(key, 'a number of seconds ≥ 0', value);
    }
  }
  if (
    retryBackoff !== undefined &&
    typeof retryBackoff !== 'boolean' &&
    !(typeof retryBackoff === 'number' && retryBackoff > 0)
  ) {
    fail('retryBackoff', 'true, false or a positive number of seconds', retryBackoff);
  }
  if (options.pool !== undefined && !['inline', 'threads', 'processes'].includes(options.pool))
    fail('pool', "'inline', 'threads' or 'processes'", options.pool);
  for (const key of ['autoretryFor', 'dontAutoretryFor'] as const) {
    const list = options[key];
    if (
      list !== undefined &&
      !(Array.isArray(list) && list.every((c) => typeof c === 'function'))
    ) {
      fail(key, 'an array of error classes', list);
    }
  }
  for (const key of [
    'acksLate',
    'rejectOnWorkerLost',
    'ignoreResult',
    'trackStarted',
    'retryJitter',
    'dedupe',
  ] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'boolean')
      fail(key, 'true or false', options[key]);
  }
  const schema = options.schema as { '~standard'?: { validate?: unknown } } | undefined;
  if (schema !== undefined && typeof schema?.['~standard']?.validate !== 'function') {
    fail('schema', 'a Standard Schema validator (zod, valibot, arktype...)', schema);
  }
  const params = options.params;
  if (
    params !== undefined &&
    !(Array.isArray(params) && params.every((p) => typeof p === 'string'))
  )
    fail('params', 'an array of parameter names', params);
  const { timeLimit, softTimeLimit } = options;
  for (const key of ['rateLimit', 'globalRateLimit'] as const) {
    const limit = options[key];
    if (limit !== undefined && !(typeof limit === 'number' ? limit > 0 : RATE.test(limit))) {
      fail(key, "'N/s', 'N/m', 'N/h' or a positive number per second", limit);
    }
  }
  if (timeLimit !== undefined && softTimeLimit !== undefined && softTimeLimit > timeLimit) {
    fail('softTimeLimit', `at most timeLimit (${timeLimit})`, softTimeLimit);
  }
  return options;
}

function isInt(value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}
