import { pyRepr } from './python-repr.js';

/** What a worker reports of a thrown value: class name, message and stack, always strings. */
export interface ThrownInfo {
  name: string;
  message: string;
  stack?: string;
}

/**
 * Describe anything a handler may throw, never throwing itself: an Error (even one whose
 * `name`, `message` or `stack` getter throws), a string, a number, `null`, a plain or
 * null-prototype object, a Proxy. Non-Error values are reported as `Error` with a bounded repr
 * of the value as message (a string is its own message).
 */
export function describeThrown(value: unknown): ThrownInfo {
  let isError = false;
  try {
    isError = value instanceof Error;
  } catch {
    // A Proxy whose getPrototypeOf trap throws: described as a value below.
  }
  if (!isError) return { name: 'Error', message: valueText(value) };
  const error = value as Error;
  const name = read(() => error.name);
  const stack = read(() => error.stack);
  const message = read(() => error.message, UNREADABLE);
  return {
    name: typeof name === 'string' && name ? name : 'Error',
    message: message === UNREADABLE ? '(its message cannot be read)' : textOf(message),
    ...(typeof stack === 'string' ? { stack } : {}),
  };
}

/** A one-line `Name: message` of a thrown value, for logs (never throws). */
export function describeThrownLine(value: unknown): string {
  const { name, message } = describeThrown(value);
  return `${name}: ${message}`;
}

function valueText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'object' || typeof value === 'function') return pyRepr(value);
  return textOf(value);
}

function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return String(value);
  } catch {
    return pyRepr(value);
  }
}

const UNREADABLE = Symbol('unreadable');

function read<T, F = undefined>(get: () => T, fallback?: F): T | F | undefined {
  try {
    return get();
  } catch {
    return fallback;
  }
}
