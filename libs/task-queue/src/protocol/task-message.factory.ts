import { randomUUID } from 'node:crypto';
import type { MessageEmbed, TaskMessage } from '../contracts/task-message.interface.js';
import { producerNodename } from '../utils/nodename.js';
import { UnserializableValueError } from '../errors/unserializable-value.error.js';
import { encodeJson, toCeleryDate } from './json-codec.js';
import { pyRepr, pyTupleRepr } from './python-repr.js';

/** Everything that goes into one protocol v2 message. */
export interface TaskMessageSpec {
  name: string;
  id?: string;
  args?: readonly unknown[];
  kwargs?: Record<string, unknown>;
  embed?: MessageEmbed;
  eta?: Date | null;
  expires?: Date | null;
  retries?: number;
  timeLimit?: number | null;
  softTimeLimit?: number | null;
  rootId?: string | null;
  parentId?: string | null;
  group?: string | null;
  groupIndex?: number | null;
  priority?: number;
  ignoreResult?: boolean;
  replyTo?: string;
  shadow?: string | null;
  /** Extra headers, merged at the top level as Celery does. */
  headers?: Record<string, unknown>;
  origin?: string;
}

const REPR_LIMIT = 1024;
const ORIGIN = producerNodename();

/** Build a Celery protocol v2 message with all 16 headers, in the order Python writes them. */
export function createTaskMessage(spec: TaskMessageSpec): TaskMessage {
  const id = spec.id ?? randomUUID();
  const args = [...(spec.args ?? [])];
  const kwargs = spec.kwargs ?? {};
  const embed: MessageEmbed = {
    callbacks: spec.embed?.callbacks ?? null,
    errbacks: spec.embed?.errbacks ?? null,
    chain: spec.embed?.chain ?? null,
    chord: spec.embed?.chord ?? null,
  };
  const expires = spec.expires ?? null;
  const priority = spec.priority ?? 0;
  return {
    headers: {
      lang: 'js',
      task: spec.name,
      id,
      shadow: spec.shadow ?? null,
      eta: spec.eta ? toCeleryDate(spec.eta) : null,
      expires: expires ? toCeleryDate(expires) : null,
      group: spec.group ?? null,
      group_index: spec.groupIndex ?? null,
      retries: spec.retries ?? 0,
      timelimit: [spec.timeLimit ?? null, spec.softTimeLimit ?? null],
      root_id: spec.rootId ?? id,
      parent_id: spec.parentId ?? null,
      argsrepr: repr(args),
      kwargsrepr: repr(kwargs),
      origin: spec.origin ?? ORIGIN,
      ignore_result: spec.ignoreResult ?? false,
      ...spec.headers,
    },
    properties: {
      correlation_id: id,
      reply_to: spec.replyTo ?? '',
      delivery_mode: 2,
      priority,
      // NOTE: no AMQP `expiration` property, unlike Celery: RabbitMQ would drop an expired
      // message silently, and the `expires` header makes workers record it REVOKED (expired).
    },
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    body: encodeBody(spec.name, args, kwargs, embed),
  };
}

/** The embed of a plain task (no callbacks, errbacks, chain or chord), as JSON. */
const NO_EMBED = '{"callbacks":null,"errbacks":null,"chain":null,"chord":null}';

/**
 * `[args, kwargs, embed]` as JSON (NaN and ±Infinity as Python's float tokens, see
 * encodeJson); throws UnserializableValueError naming the task when an argument has no JSON
 * form (a function or a symbol: JSON.stringify would send null or drop it; a Map or a Set),
 * is circular or is nested too deep. Nothing is sent then. Each part is encoded alone, so the
 * nulls of an empty embed do not send a plain call down encodeJson's slow path.
 */
function encodeBody(
  name: string,
  args: unknown[],
  kwargs: Record<string, unknown>,
  embed: MessageEmbed,
): string {
  for (let i = 0; i < args.length; i++) checkArgument(name, args[i], `args[${i}]`);
  for (const key in kwargs) checkArgument(name, kwargs[key], `kwargs.${key}`);
  const plain =
    embed.callbacks === null &&
    embed.errbacks === null &&
    embed.chain === null &&
    embed.chord === null;
  return (
    `[${encodePart(name, args, 'args')},` +
    `${isEmpty(kwargs) ? '{}' : encodePart(name, kwargs, 'kwargs')},` +
    `${plain ? NO_EMBED : encodePart(name, embed, 'embed')}]`
  );
}

function encodePart(name: string, value: unknown, part: string): string {
  try {
    return encodeJson(value);
  } catch (error) {
    if (!(error instanceof UnserializableValueError)) throw error;
    throw new UnserializableValueError(
      `The arguments of ${name}`,
      error.reason,
      error.path.replace(/^\$/, part),
    );
  }
}

function isEmpty(record: Record<string, unknown>): boolean {
  for (const _key in record) return false;
  return true;
}

function checkArgument(name: string, value: unknown, path: string): void {
  const type = typeof value;
  if (type !== 'function' && type !== 'symbol') return;
  throw new UnserializableValueError(
    `The arguments of ${name}`,
    `a ${type} has no JSON form`,
    path,
  );
}

/** Celery's `argsrepr` / `kwargsrepr`: Python reprs, `(2, 3)` and `{'a': 1}` (saferepr-bounded). */
function repr(value: readonly unknown[] | Record<string, unknown>): string {
  // The common no-argument call skips the repr writer.
  if (Array.isArray(value)) return value.length === 0 ? '()' : pyTupleRepr(value, REPR_LIMIT);
  return Object.keys(value).length === 0 ? '{}' : pyRepr(value, REPR_LIMIT);
}
