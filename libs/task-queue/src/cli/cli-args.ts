import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './cli-error.js';

/** Options every command accepts: where the broker and the result backend are. */
export const CONNECTION_OPTIONS = {
  broker: { type: 'string' },
  backend: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

export const CONNECTION_USAGE =
  '[--broker URL] [--backend URL]  (default: env CELERIAC_BROKER / CELERIAC_RESULT_BACKEND)';

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** The parsed values and positionals of a command line with options `O`. */
export type ParsedCommandArgs<O extends OptionsConfig> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: true }>
>;

/**
 * `node:util` parseArgs in strict mode with positionals, turning its errors into a
 * {@link UsageError} (exit code 2).
 */
export function parseCommandArgs<O extends OptionsConfig>(
  argv: string[],
  options: O,
): ParsedCommandArgs<O> {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** A finite number, optionally bounded below, from an option value. */
export function parseNumber(value: string, option: string, min = -Infinity): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number < min) {
    const bound = min === -Infinity ? '' : ` >= ${min}`;
    throw new UsageError(`--${option} must be a number${bound}, got "${value}"`);
  }
  return number;
}

/** An integer within [min, max] from an option value. */
export function parseInteger(value: string, option: string, min: number, max: number): number {
  const number = parseNumber(value, option, min);
  if (!Number.isInteger(number) || number > max) {
    throw new UsageError(`--${option} must be an integer from ${min} to ${max}, got "${value}"`);
  }
  return number;
}

/** An ISO-8601 instant from an option value. */
export function parseDate(value: string, option: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    throw new UsageError(`--${option} must be an ISO-8601 date, got "${value}"`);
  }
  return date;
}

/** JSON text from an option value, checked to be an array. */
export function parseJsonArray(value: string | undefined, option: string): unknown[] {
  if (value === undefined) return [];
  const parsed = parseJson(value, option);
  if (!Array.isArray(parsed)) throw new UsageError(`--${option} must be a JSON array`);
  return parsed;
}

/** JSON text from an option value, checked to be an object. */
export function parseJsonObject(
  value: string | undefined,
  option: string,
): Record<string, unknown> {
  if (value === undefined) return {};
  const parsed = parseJson(value, option);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UsageError(`--${option} must be a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

function parseJson(value: string, option: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch (error) {
    throw new UsageError(`--${option} is not valid JSON: ${(error as Error).message}`);
  }
}

/** `--wait SECONDS` as milliseconds, or undefined when absent. */
export function parseWait(value: string | undefined): number | undefined {
  return value === undefined ? undefined : parseNumber(value, 'wait', 0) * 1000;
}
