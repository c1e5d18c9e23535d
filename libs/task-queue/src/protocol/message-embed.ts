import type { MessageEmbed } from '../contracts/task-message.interface.js';
import { InvalidMessageError } from '../errors/invalid-message.error.js';
import { encodeJson } from './json-codec.js';

/** The canvas fields that hold signatures: a list of them (one alone is read as a list). */
const LIST_FIELDS = ['callbacks', 'errbacks', 'chain'] as const;

/**
 * The canvas fields of a message (protocol 2's `embed`, or a protocol 1 body), checked before
 * the task runs: `callbacks`, `errbacks` and `chain` are null or signature dicts, `chord` is
 * null or one. A field that is not is refused, not skipped: the canvas step it held would be
 * lost after the task had run (a chain stopping there, an errback never called, a chord
 * never joined), with nothing stored or logged to say so. `where` names the fields' place.
 */
export function checkCanvasFields(
  fields: Record<string, unknown>,
  id: string,
  where: string,
): void {
  for (const field of LIST_FIELDS) {
    const value = fields[field];
    if (value == null) continue;
    const items = Array.isArray(value) ? value : [value];
    items.forEach((item, i) => {
      const path = Array.isArray(value) ? `${where}${field}[${i}]` : `${where}${field}`;
      const problem = signatureProblem(item);
      if (problem) throw refused(id, path, item, problem, 'a list of signature dicts');
    });
  }
  const problem = fields.chord == null ? null : signatureProblem(fields.chord);
  if (problem) throw refused(id, `${where}chord`, fields.chord, problem, 'one signature dict');
}

/** Protocol 2's `embed`: not an object (null, `[]`) reads as no canvas, as in Celery. */
export function parseEmbed(embed: unknown, id: string): MessageEmbed {
  if (typeof embed !== 'object' || embed === null || Array.isArray(embed)) return {};
  checkCanvasFields(embed as Record<string, unknown>, id, 'embed.');
  return embed as MessageEmbed;
}

/** Why `value` is not a signature dict Celery could have written, or null when it is one. */
function signatureProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'not an object';
  }
  const sig = value as Record<string, unknown>;
  if (typeof sig.task !== 'string' || sig.task === '') return 'no "task" name';
  if (sig.args != null && !Array.isArray(sig.args)) return '"args" is not a list';
  for (const key of ['kwargs', 'options'] as const) {
    const v = sig[key];
    if (v != null && (typeof v !== 'object' || Array.isArray(v)))
      return `"${key}" is not an object`;
  }
  return null;
}

function refused(
  id: string,
  path: string,
  value: unknown,
  problem: string,
  expected: string,
): InvalidMessageError {
  const text = encodeJson(value); // decoded from JSON, so encodable (big ints included)
  const got = text.length > 80 ? `${text.slice(0, 77)}...` : text;
  return new InvalidMessageError(
    `Task ${id}: ${path} is not a task signature (${problem}), got ${got}. Celery writes ` +
      `${expected} there ({"task": "name", "args": [...], "kwargs": {...}, "options": {...}}). ` +
      `The task was not run, so its canvas is not lost halfway: fix the producer that built ` +
      `it, then redrive the message.`,
  );
}
