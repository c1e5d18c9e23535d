import { inspect } from 'node:util';

/** How `argsrepr` / `kwargsrepr` are written: `util.inspect` on one line, three levels deep. */
const INSPECT_OPTIONS = { depth: 3, breakLength: Infinity, compact: true } as const;
/** Largest array the fast path writes (inspect writes `... n more items` past 100). */
const MAX_ITEMS = 100;
/** Strings the fast path writes as `'text'`: printable ASCII without `'` or `\`. */
const PLAIN_STRING = /^[\x20-\x26\x28-\x5b\x5d-\x7e]*$/;
/** Keys inspect writes unquoted. */
const PLAIN_KEY = /^[a-zA-Z_][a-zA-Z_0-9]*$/;

/**
 * `util.inspect(value, { depth: 3, breakLength: Infinity, compact: true })`, the text of the
 * `argsrepr` / `kwargsrepr` headers. Arguments made of numbers, plain strings, booleans, null
 * and arrays / plain objects of those (what most tasks take) are written directly, with the
 * same text: inspect is most of the cost of building a message with arguments.
 */
export function inspectRepr(value: unknown): string {
  return simple(value, 0) ?? inspect(value, INSPECT_OPTIONS);
}

/** The inspect text of `value`, or undefined when it is not a value the fast path writes. */
function simple(value: unknown, level: number): string | undefined {
  switch (typeof value) {
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'string':
      return value.length <= 1000 && PLAIN_STRING.test(value) ? `'${value}'` : undefined;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      // inspect writes [Array] / [Object] three levels down: leave deep values to it.
      if (level >= 2) return undefined;
      return Array.isArray(value) ? array(value, level) : object(value, level);
    default:
      return undefined;
  }
}

function array(items: unknown[], level: number): string | undefined {
  if (Object.getPrototypeOf(items) !== Array.prototype || items.length > MAX_ITEMS) return;
  // Holes and extra keys are written by inspect in its own way.
  if (Object.keys(items).length !== items.length) return;
  if (items.length === 0) return '[]';
  let text = '[ ';
  for (let i = 0; i < items.length; i++) {
    const item = simple(items[i], level + 1);
    if (item === undefined) return;
    text += i === 0 ? item : `, ${item}`;
  }
  return `${text} ]`;
}

function object(value: object, level: number): string | undefined {
  if (Object.getPrototypeOf(value) !== Object.prototype) return;
  if (Object.getOwnPropertySymbols(value).length > 0) return;
  const keys = Object.keys(value);
  if (keys.length > MAX_ITEMS) return;
  if (keys.length === 0) return '{}';
  let text = '{ ';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    // A getter is written [Getter] by inspect: only plain data properties here.
    const property = Object.getOwnPropertyDescriptor(value, key);
    if (!property || !('value' in property)) return;
    const name = PLAIN_KEY.test(key) ? key : simple(key, level + 1);
    const item = simple(property.value, level + 1);
    if (name === undefined || item === undefined) return;
    text += `${i === 0 ? '' : ', '}${name}: ${item}`;
  }
  return `${text} }`;
}
