import type { SignatureDict } from '../../contracts/task-message.interface.js';

/**
 * How a signature is applied: Celery's `sig.apply_async(args, kwargs, **options)`. `args` are
 * prepended to the signature's own args (partial args), `kwargs` merged into its kwargs, and
 * `options` override its options. Null / undefined options are dismissed, as Celery does.
 */
export interface ApplyCall {
  args?: readonly unknown[];
  kwargs?: Record<string, unknown>;
  options?: Record<string, unknown>;
}

/** The task that is sending (its id becomes `parent_id`, its root the `root_id`). */
export interface ParentTask {
  id: string;
  rootId: string;
}

/** Options a call can never replace once the signature has them (Celery `_IMMUTABLE_OPTIONS`). */
const IMMUTABLE_OPTIONS = new Set(['group_id']);

/** A plain JSON object (not an array, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A signature dict in Celery's shape, with missing keys filled in (`args` `[]`, `kwargs` `{}`,
 * `options` `{}`, `subtask_type` null, `immutable` false), or null when `value` is not one.
 * The result is a shallow copy: callers may change its top-level fields and `options`.
 */
export function toSignature(value: unknown): SignatureDict | null {
  if (!isRecord(value) || typeof value.task !== 'string') return null;
  return {
    ...value,
    task: value.task,
    args: Array.isArray(value.args) ? [...(value.args as unknown[])] : [],
    kwargs: isRecord(value.kwargs) ? { ...value.kwargs } : {},
    options: isRecord(value.options) ? { ...value.options } : {},
    subtask_type: typeof value.subtask_type === 'string' ? value.subtask_type : null,
    immutable: value.immutable === true,
  };
}

/** `link` / `link_error` / `callbacks`: one signature, a list of them, or nothing. */
export function toSignatureList(value: unknown): SignatureDict[] {
  const items = Array.isArray(value) ? value : value == null ? [] : [value];
  return items.map(toSignature).filter((s): s is SignatureDict => s !== null);
}

/** Options of a call with null / undefined values dropped (Celery dismisses them). */
export function definedOptions(options: Record<string, unknown> = {}): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(options).filter(([, v]) => v !== undefined && v !== null),
  );
}

/**
 * Celery's `Signature._merge`: call options override the signature's (except `group_id` when
 * the signature already has one); call args are prepended and kwargs merged unless the
 * signature is immutable (`.si()`).
 */
export function mergeSignature(sig: SignatureDict, call: ApplyCall = {}): SignatureDict {
  const options = { ...sig.options };
  for (const [key, value] of Object.entries(definedOptions(call.options))) {
    if (IMMUTABLE_OPTIONS.has(key) && options[key] != null) continue;
    options[key] = value;
  }
  if (sig.immutable) return { ...sig, options };
  return {
    ...sig,
    args: [...(call.args ?? []), ...sig.args],
    kwargs: { ...sig.kwargs, ...call.kwargs },
    options,
  };
}

/** A `celery.group` signature dict over `tasks`, as Celery serialises `group(tasks)`. */
export function groupSignature(
  tasks: SignatureDict[],
  options: Record<string, unknown> = {},
): SignatureDict {
  return {
    task: 'celery.group',
    args: [],
    kwargs: { tasks },
    options,
    subtask_type: 'group',
    immutable: false,
  };
}

/**
 * A `celery.chord` signature dict, as Celery serialises `chord(header, body)`; `header` is the
 * list of tasks, or a group dict (`group | task` keeps the group as it is).
 */
export function chordSignature(
  header: SignatureDict[] | SignatureDict,
  body: SignatureDict,
): SignatureDict {
  return {
    task: 'celery.chord',
    args: [],
    kwargs: { kwargs: {}, header, body },
    options: {},
    subtask_type: 'chord',
    immutable: false,
  };
}

/** Append signatures to a list option (`link`, `link_error`), like Celery's `extend_list_option`. */
export function extendListOption(sig: SignatureDict, key: string, value: unknown): void {
  const added = toSignatureList(value);
  if (added.length === 0) return;
  sig.options = { ...sig.options, [key]: [...toSignatureList(sig.options[key]), ...added] };
}

/** The id of the result a signature produces: its task_id, or a chain's last step's. */
export function resultIdOf(sig: SignatureDict): string | null {
  if (sig.subtask_type === 'chain') {
    const last = toSignatureList(sig.kwargs.tasks).at(-1);
    return last ? resultIdOf(last) : null;
  }
  return typeof sig.options.task_id === 'string' ? sig.options.task_id : null;
}
