import { describe, expect, it } from 'vitest';
import { createTaskMessage } from './task-message.factory.js';
import { parseTaskMessage } from './task-message.parser.js';

function withRetries(retries: unknown): { retries: number; warnings: string[] } {
  const message = createTaskMessage({ name: 'parse.retries', args: [] });
  (message.headers as unknown as Record<string, unknown>).retries = retries;
  const warnings: string[] = [];
  const request = parseTaskMessage(message, null, (line) => warnings.push(line));
  return { retries: request.retries, warnings };
}

describe('the retries header', () => {
  it('reads numbers, and whole numbers written as strings as Python int() does', () => {
    expect(withRetries(2)).toEqual({ retries: 2, warnings: [] });
    expect(withRetries('3')).toEqual({ retries: 3, warnings: [] });
    expect(withRetries(' 1_0 ')).toEqual({ retries: 10, warnings: [] });
    expect(withRetries(null)).toEqual({ retries: 0, warnings: [] });
    expect(withRetries(undefined)).toEqual({ retries: 0, warnings: [] });
  });

  it('counts anything else as 0 and says so once, naming the task and the value', () => {
    for (const bad of ['three', '2.5', true, { n: 1 }, [1], Number.NaN]) {
      const { retries, warnings } = withRetries(bad);
      expect(retries).toBe(0);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/read its retries header .* as 0: expected a whole number/);
    }
  });
});
