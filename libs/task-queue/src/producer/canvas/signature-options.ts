import type { ApplyOptions, SignatureLike } from '../../contracts/apply-options.interface.js';
import type { SignatureDict } from '../../contracts/task-message.interface.js';
import { toCeleryDate } from '../../protocol/json-codec.js';
import { toSignature } from './signature.js';

/**
 * Options of a signature (`.set()`) or of a canvas `applyAsync()`: the `applyAsync` options
 * of a task, stored in the signature dict under Celery's names (`taskId` → `task_id`,
 * `timeLimit` → `time_limit`, `linkError` → `link_error` ...).
 * @publicApi
 */
export type SignatureOptions = ApplyOptions;

const NAMES: Record<keyof ApplyOptions, string> = {
  countdown: 'countdown',
  eta: 'eta',
  expires: 'expires',
  queue: 'queue',
  exchange: 'exchange',
  routingKey: 'routing_key',
  priority: 'priority',
  taskId: 'task_id',
  headers: 'headers',
  timeLimit: 'time_limit',
  softTimeLimit: 'soft_time_limit',
  ignoreResult: 'ignore_result',
  shadow: 'shadow',
  link: 'link',
  linkError: 'link_error',
};

/** The dict of a signature-like value (a canvas object or a dict), deep-copied. */
export function toDict(value: SignatureLike): SignatureDict {
  const raw = 'toJSON' in value && typeof value.toJSON === 'function' ? value.toJSON() : value;
  const dict = toSignature(structuredClone(raw));
  if (!dict) throw new TypeError(`Not a signature: ${JSON.stringify(raw)}`);
  return dict;
}

/** `options` under Celery's names, as they travel in a signature dict (dates as ISO text). */
export function celeryOptions(options: SignatureOptions = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    const name = NAMES[key as keyof ApplyOptions] ?? key;
    out[name] = convert(name, value);
  }
  return out;
}

function convert(name: string, value: unknown): unknown {
  if (value instanceof Date) return toCeleryDate(value);
  if (name === 'link' || name === 'link_error') {
    const list = Array.isArray(value) ? (value as SignatureLike[]) : [value as SignatureLike];
    return list.map(toDict);
  }
  return value;
}
