import { decodeJson } from './json-codec.js';

/** What a Python float token stands for while the text goes through decodeJson. */
const MARK = '\u0000celeriac-float:';
const FLOATS: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };
const TOKENS = ['NaN', 'Infinity', '-Infinity'];

/**
 * JSON as Python's `json` module writes it: {@link decodeJson}, and also the bare tokens `NaN`,
 * `Infinity` and `-Infinity` that `json.dumps` writes for `float('nan')` and `float('±inf')`
 * (kombu keeps `allow_nan=True`), which JSON.parse rejects. Task arguments and results Python
 * computes (a mean of nothing, a division by zero in numpy) carry them. Only a text that
 * decodeJson refused is scanned, so valid JSON costs nothing more.
 */
export function decodePythonJson(text: string, what?: string): unknown {
  try {
    return decodeJson(text, what);
  } catch (error) {
    const marked = markFloatTokens(text);
    if (marked === undefined) throw error;
    try {
      return restoreFloats(decodeJson(marked, what));
    } catch {
      throw error; // about the text as it came, not the marked copy
    }
  }
}

/** `text` with each float token outside strings replaced by a marked string, or undefined. */
function markFloatTokens(text: string): string | undefined {
  let out = '';
  let copied = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === 0x5c)
        i++; // a backslash escapes the next character
      else if (code === 0x22) inString = false;
      continue;
    }
    if (code === 0x22) {
      inString = true;
      continue;
    }
    const token = TOKENS.find((t) => text.startsWith(t, i));
    if (!token) continue;
    out += text.slice(copied, i) + JSON.stringify(MARK + token);
    i += token.length - 1;
    copied = i + 1;
  }
  return copied === 0 ? undefined : out + text.slice(copied);
}

/** Put the numbers back in place of the marked strings, in arrays and plain objects. */
function restoreFloats(value: unknown): unknown {
  if (typeof value === 'string') {
    return value.startsWith(MARK) ? FLOATS[value.slice(MARK.length)] : value;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = restoreFloats(value[i]);
  } else if (value !== null && typeof value === 'object' && isPlain(value)) {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) record[key] = restoreFloats(record[key]);
  }
  return value;
}

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
