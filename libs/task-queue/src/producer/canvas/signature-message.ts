import type { SignatureDict } from '../../contracts/task-message.interface.js';
import { parseCeleryDate } from '../../protocol/json-codec.js';
import type { TaskMessageSpec } from '../../protocol/task-message.factory.js';
import { isRecord, toSignature, toSignatureList, type ParentTask } from './signature.js';

/** A plain signature turned into a message spec, plus where the signature asks it to go. */
export interface SignatureMessage {
  spec: TaskMessageSpec;
  /** `options.queue` (a name, or a kombu Queue dict's `name`), when the signature names one. */
  queue: string | undefined;
  /** `options.priority`, when set. */
  priority: number | undefined;
  /** `options.exchange` and `options.routing_key`, when set (the router keeps both or none). */
  exchange: string | undefined;
  routingKey: string | undefined;
}

const str = (value: unknown): string | undefined =>
  typeof value === 'string' && value.length > 0 ? value : undefined;
const num = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;

/** `eta` (ISO string or Date) or `countdown` (seconds from now), like `app.send_task`. */
function etaOf(options: Record<string, unknown>, now: number): Date | null {
  if (options.eta instanceof Date) return options.eta;
  const eta = parseCeleryDate(str(options.eta));
  if (eta) return eta;
  // Celery's `if countdown:`: 0 sends no eta.
  const countdown = num(options.countdown);
  return countdown ? new Date(now + countdown * 1000) : null;
}

/** `expires`: seconds from now, an ISO string or a Date. */
function expiresOf(value: unknown, now: number): Date | null {
  if (value instanceof Date) return value;
  const seconds = num(value);
  if (seconds !== undefined) return new Date(now + seconds * 1000);
  return parseCeleryDate(str(value));
}

function queueOf(value: unknown): string | undefined {
  return str(value) ?? (isRecord(value) ? str(value.name) : undefined);
}

/**
 * The message for one plain (already merged) signature, with every `apply_async` option Celery
 * puts on the wire: `task_id`, `countdown` / `eta`, `expires`, `time_limit` /
 * `soft_time_limit`, `group_id` / `group_index`, `root_id` / `parent_id` (defaulting to the
 * sending task's root and id, as `send_task` does inside a worker), `link` → callbacks,
 * `link_error` → errbacks, `chain`, `chord`, `headers`, `shadow`, `ignore_result`, `reply_to`
 * and `retries`. Routing (`queue`, `priority`) is returned for the router to decide.
 */
export function signatureMessage(
  sig: SignatureDict,
  parent: ParentTask | null,
  now = Date.now(),
): SignatureMessage {
  const o = sig.options;
  const chain = toSignatureList(o.chain);
  return {
    spec: {
      name: sig.task,
      id: str(o.task_id),
      args: sig.args,
      kwargs: sig.kwargs,
      embed: {
        callbacks: nonEmpty(toSignatureList(o.link)),
        errbacks: nonEmpty(toSignatureList(o.link_error)),
        chain: Array.isArray(o.chain) ? chain : null,
        chord: toSignature(o.chord),
      },
      eta: etaOf(o, now),
      expires: expiresOf(o.expires, now),
      retries: num(o.retries),
      timeLimit: num(o.time_limit) ?? null,
      softTimeLimit: num(o.soft_time_limit) ?? null,
      rootId: str(o.root_id) ?? parent?.rootId ?? parent?.id ?? null,
      parentId: str(o.parent_id) ?? parent?.id ?? null,
      group: str(o.group_id) ?? null,
      groupIndex: num(o.group_index) ?? null,
      ignoreResult: typeof o.ignore_result === 'boolean' ? o.ignore_result : undefined,
      replyTo: str(o.reply_to),
      shadow: str(o.shadow) ?? null,
      headers: isRecord(o.headers) ? o.headers : undefined,
    },
    queue: queueOf(o.queue),
    priority: num(o.priority),
    exchange: str(o.exchange),
    routingKey: str(o.routing_key),
  };
}

function nonEmpty(list: SignatureDict[]): SignatureDict[] | null {
  return list.length > 0 ? list : null;
}
