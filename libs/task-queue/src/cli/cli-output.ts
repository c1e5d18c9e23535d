import { UnserializableValueError } from '../errors/unserializable-value.error.js';

/** Where a command writes: stdout for results, stderr for the one-line failure reason. */
export interface CliOutput {
  out(line: string): void;
  err(line: string): void;
}

/** The process's own streams. */
export const processOutput: CliOutput = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/**
 * One-line JSON; bigints (large Python ints) are written as numbers' digits. A value nested
 * too deep for JSON.stringify (another program stored it) is an UnserializableValueError.
 */
export function toJsonLine(value: unknown): string {
  try {
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new UnserializableValueError('the output', 'nested too deep to print', '$');
  }
}
