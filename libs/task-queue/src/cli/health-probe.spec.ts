import { describe, expect, it } from 'vitest';
import { runHealthProbe } from './health-probe.js';

/** `celeriac health` rejects a timeout it cannot use as a bad option (exit 2), before any request. */
describe('celeriac health --timeout', () => {
  const probe = async (argv: string[], env: NodeJS.ProcessEnv = {}) => {
    const lines: string[] = [];
    const code = await runHealthProbe(['--port', '1', ...argv], env, (line) => lines.push(line));
    return { code, text: lines.join('\n') };
  };

  it.each([['abc'], ['0'], ['1e400'], ['12ms']])('exits 2 for --timeout %s', async (value) => {
    const { code, text } = await probe([`--timeout=${value}`]);
    expect(code).toBe(2);
    expect(text).toMatch(/--timeout must be a number of milliseconds > 0/);
  });

  it('exits 2 for a CELERIAC_HEALTHCHECK_TIMEOUT_MS it cannot use', async () => {
    const { code, text } = await probe([], { CELERIAC_HEALTHCHECK_TIMEOUT_MS: '0' });
    expect(code).toBe(2);
    expect(text).toMatch(/CELERIAC_HEALTHCHECK_TIMEOUT_MS must be a number of milliseconds > 0/);
  });

  it('still probes with a valid timeout (port 1 refuses: exit 1)', async () => {
    expect((await probe(['--timeout', '500'])).code).toBe(1);
  });
});

describe('celeriac health usage', () => {
  it('names every option it accepts, --verbose (print the body) included', async () => {
    const lines: string[] = [];
    const code = await runHealthProbe(['--bogus'], {}, (line) => lines.push(line));
    expect(code).toBe(2);
    expect(lines.join('\n')).toMatch(/usage: celeriac health .*\[--verbose\]/);
  });
});
