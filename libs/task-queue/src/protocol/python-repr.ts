/**
 * Python `repr()` of JSON-like values, as Celery puts task args, kwargs, results and
 * exceptions in events (docs/protocol.md#event-fields): `(2, 3)`, `{'a': 1}`, `'ok'`, `None`.
 *
 * Bounded like Celery's `saferepr`: containers nested deeper than {@link MAX_LEVELS} levels
 * are written `[...]` / `{...}`, a container inside itself `<Recursion on list>`, and the work
 * stops once `maxlen` characters are written (the text then ends with `...`). Never throws:
 * a getter or `toString` that throws is written as `<unrepresentable>`.
 */
export function pyRepr(value: unknown, maxlen = DEFAULT_MAXLEN): string {
  const quick = quickRepr(value);
  if (quick !== undefined && quick.length <= maxlen) return quick;
  const writer = new ReprWriter(maxlen);
  writer.value(value, 1);
  return writer.text();
}

/** A tuple repr of positional args: `()`, `(1,)`, `(1, 2)` (bounded as {@link pyRepr}). */
export function pyTupleRepr(args: readonly unknown[] = [], maxlen = DEFAULT_MAXLEN): string {
  const quick = quickTuple(args);
  if (quick !== undefined && quick.length <= maxlen) return quick;
  const writer = new ReprWriter(maxlen);
  writer.sequence(args, '(', args.length === 1 ? ',)' : ')', 1);
  return writer.text();
}

/** An exception repr: `ValueError('boom')`. */
export function pyExceptionRepr(error: { name: string; message: string }): string {
  return truncateRepr(`${error.name}(${pyString(error.message)})`);
}

/** Truncate like Celery's `saferepr(..., maxlen=1024)` (approximately). */
export function truncateRepr(text: string, max = DEFAULT_MAXLEN): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/**
 * The repr of a scalar, an empty list or an empty plain dict, written directly (task events
 * carry one for every task's args, kwargs and result); undefined for anything else.
 */
function quickRepr(value: unknown): string | undefined {
  if (value === null || value === undefined) return 'None';
  switch (typeof value) {
    case 'boolean':
      return value ? 'True' : 'False';
    case 'number':
      return Number.isFinite(value) ? String(value) : pyFloat(value);
    case 'object':
      try {
        if (Array.isArray(value)) return value.length === 0 ? '[]' : undefined;
        return Object.getPrototypeOf(value) === Object.prototype && Object.keys(value).length === 0
          ? '{}'
          : undefined;
      } catch {
        // A revoked or hostile proxy: the writer spells it <unrepresentable>.
        return undefined;
      }
    default:
      return undefined;
  }
}

/** The tuple repr of args that are all scalars (most tasks' args); undefined otherwise. */
function quickTuple(args: readonly unknown[]): string | undefined {
  if (args.length > 16) return undefined;
  let text = '(';
  for (let i = 0; i < args.length; i++) {
    const item = args[i];
    if (typeof item === 'object' && item !== null) return undefined;
    const repr = quickRepr(item);
    if (repr === undefined) return undefined;
    text += i === 0 ? repr : `, ${repr}`;
  }
  return args.length === 1 ? `${text},)` : `${text})`;
}

/** Celery's `saferepr` default depth. */
const MAX_LEVELS = 3;
/** Celery's `argsrepr` / `resultrepr` size (1024). */
const DEFAULT_MAXLEN = 1024;

class ReprWriter {
  private readonly parts: string[] = [];
  private length = 0;
  private readonly ancestors = new Set<object>();

  constructor(private readonly maxlen: number) {}

  text(): string {
    return truncateRepr(this.parts.join(''), this.maxlen);
  }

  /** Write `value` at nesting `level` (1 = top). */
  value(value: unknown, level: number): void {
    if (this.full) return;
    try {
      this.write(value, level);
    } catch {
      this.push('<unrepresentable>');
    }
  }

  sequence(items: readonly unknown[], open: string, close: string, level: number): void {
    this.push(open);
    for (let i = 0; i < items.length && !this.full; i++) {
      if (i) this.push(', ');
      this.value(items[i], level + 1);
    }
    this.push(close);
  }

  private get full(): boolean {
    return this.length > this.maxlen;
  }

  private push(text: string): void {
    this.parts.push(text);
    this.length += text.length;
  }

  private write(value: unknown, level: number): void {
    if (value === null || value === undefined) return this.push('None');
    switch (typeof value) {
      case 'boolean':
        return this.push(value ? 'True' : 'False');
      case 'number':
        return this.push(Number.isFinite(value) ? String(value) : pyFloat(value));
      case 'bigint':
        return this.push(value.toString());
      case 'string':
        return this.push(pyString(clip(value, this.maxlen)));
      case 'object':
        return this.object(value, level);
      case 'function':
        return this.push(`<function ${(value as { name?: unknown }).name || 'anonymous'}>`);
      default:
        return this.push(pyString(clip(String(value), this.maxlen)));
    }
  }

  private object(value: object, level: number): void {
    if (value instanceof Date) return this.push(pyString(value.toISOString()));
    const isList = Array.isArray(value);
    if (this.ancestors.has(value)) return this.push(`<Recursion on ${isList ? 'list' : 'dict'}>`);
    if (level > MAX_LEVELS) return this.push(isList ? '[...]' : '{...}');
    this.ancestors.add(value);
    try {
      if (isList) return this.sequence(value as unknown[], '[', ']', level);
      const keys = Object.keys(value); // may throw (a Proxy): nothing is written then
      this.push('{');
      let first = true;
      for (const key of keys) {
        if (this.full) break;
        if (!first) this.push(', ');
        first = false;
        this.push(`${pyString(clip(key, this.maxlen))}: `);
        this.value((value as Record<string, unknown>)[key], level + 1);
      }
      this.push('}');
    } finally {
      this.ancestors.delete(value);
    }
  }
}

/** A string cut to `max` characters before escaping (a long string costs no more than that). */
function clip(text: string, max: number): string {
  return text.length > max ? text.slice(0, max) : text;
}

function pyString(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  const escaped = text
    .replace(/\\/g, '\\\\')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t');
  return `${quote}${quote === "'" ? escaped.replace(/'/g, "\\'") : escaped}${quote}`;
}

function pyFloat(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  return value > 0 ? 'inf' : '-inf';
}
