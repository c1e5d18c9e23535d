import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEMO_ENVIRONMENT, variablesReadBy } from './environment.js';

const here = dirname(fileURLToPath(import.meta.url));
const sources = (readdirSync(here, { recursive: true }) as string[])
  .filter((file) => file.endsWith('.ts') && !file.endsWith('.spec.ts'))
  .map((file) => readFileSync(join(here, file), 'utf8'))
  .join('\n');

describe('the demo environment variables', () => {
  it('DEMO_ENVIRONMENT lists every variable the demo and worker sources read', () => {
    const read = new Set([...sources.matchAll(/\benv\.([A-Z][A-Z0-9_]+)/g)].map((m) => m[1]!));
    expect([...read].filter((name) => !(name in DEMO_ENVIRONMENT))).toEqual([]);
  });

  it('docs/getting-started.md lists each of them with the entry that reads it', () => {
    const docs = readFileSync(join(here, '../../../docs/getting-started.md'), 'utf8');
    const rows = [...docs.matchAll(/^\| `([A-Z][A-Z0-9_]+)` +\| ([a-z, ]+?) +\|/gm)];
    const documented = Object.fromEntries(rows.map(([, name, readBy]) => [name, readBy]));
    const expected = Object.fromEntries(
      Object.entries(DEMO_ENVIRONMENT).map(([name, { readBy }]) => [
        name,
        readBy === 'both' ? 'demo, worker' : readBy,
      ]),
    );
    expect(documented).toEqual(expected);
  });

  it("the worker's start-up line covers what the worker reads, not the demo's HTTP variables", () => {
    expect(variablesReadBy('worker')).toContain('CELERIAC_LOG_FORMAT');
    expect(variablesReadBy('worker')).toContain('CELERIAC_BEAT');
    expect(variablesReadBy('worker')).not.toContain('PORT');
    expect(variablesReadBy('demo')).not.toContain('CELERIAC_LOG_FORMAT');
  });
});
