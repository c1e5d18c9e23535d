/**
 * Python `repr()` of JSON-like values, as Celery puts task args, kwargs, results and
 * exceptions in events (docs/protocol.md#event-fields): `(2, 3)`, `{'a': 1}`, `'ok'`, `None`.
 */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : pyFloat(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string') return pyString(value);
  if (value instanceof Date) return pyString(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    return `{${entries.map(([k, v]) => `${pyString(k)}: ${pyRepr(v)}`).join(', ')}}`;
  }
  return pyString(String(value));
}

/** A tuple repr of positional args: `()`, `(1,)`, `(1, 2)`. */
export function pyTupleRepr(args: readonly unknown[] = []): string {
  if (args.length === 1) return `(${pyRepr(args[0])},)`;
  return `(${args.map(pyRepr).join(', ')})`;
}

/** An exception repr: `ValueError('boom')`. */
export function pyExceptionRepr(error: { name: string; message: string }): string {
  return `${error.name}(${pyString(error.message)})`;
}

/** Truncate like Celery's `saferepr(..., maxlen=1024)` (approximately). */
export function truncateRepr(text: string, max = 1024): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
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
