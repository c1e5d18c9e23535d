import { get } from 'node:http';
import { parseArgs } from 'node:util';

/**
 * `celeriac health`: an exec probe that asks a running process's `/health/live` or
 * `/health/ready` (served by `worker.http` or the app's Terminus controller) and exits 0 when
 * it answers 2xx. It imports only Node built-ins and boots nothing, so it answers in a few
 * tens of milliseconds even when every worker slot is busy (docs/metrics-and-health.md).
 * `bin/celeriac.js` runs it without loading the rest of the CLI.
 */
export const HEALTH_USAGE =
  '[--live | --ready] [--port N] [--host H] [--timeout MS] [--verbose]  ' +
  '(port: env CELERIAC_HTTP_PORT, or PORT when CELERIAC_ROLE=api)';

/** Exit codes: 0 up, 1 down or unreachable, 2 bad command line. */
export async function runHealthProbe(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  print: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        live: { type: 'boolean' },
        ready: { type: 'boolean' },
        port: { type: 'string' },
        host: { type: 'string' },
        timeout: { type: 'string' },
        verbose: { type: 'boolean', short: 'v' },
      },
    }));
  } catch (error) {
    print(`celeriac health: ${(error as Error).message}\nusage: celeriac health ${HEALTH_USAGE}`);
    return 2;
  }
  const port = values.port ?? probePort(env);
  if (!port || !/^\d+$/.test(String(port))) {
    print(
      'celeriac health: no port: pass --port, or set CELERIAC_HTTP_PORT (worker.http) ' +
        '(PORT when CELERIAC_ROLE=api).',
    );
    return 2;
  }
  const path = values.ready ? '/health/ready' : '/health/live';
  const host = String(values.host ?? '127.0.0.1');
  const given = values.timeout ?? env.CELERIAC_HEALTHCHECK_TIMEOUT_MS;
  const timeout = Number(given ?? 2_000);
  // 0 would mean "no timeout" to node:http: a probe that never ends.
  if (!(timeout > 0) || !Number.isFinite(timeout)) {
    const source = values.timeout !== undefined ? '--timeout' : 'CELERIAC_HEALTHCHECK_TIMEOUT_MS';
    print(
      `celeriac health: ${source} must be a number of milliseconds > 0, got "${String(given)}".\n` +
        `usage: celeriac health ${HEALTH_USAGE}`,
    );
    return 2;
  }
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}${path}`;
  try {
    const { status, body } = await httpGet(url, timeout);
    if (values.verbose) print(body);
    if (status >= 200 && status < 300) return 0;
    print(`celeriac health: ${url} answered ${status} ${body}`);
    return 1;
  } catch (error) {
    print(`celeriac health: ${url}: ${(error as Error).message}`);
    return 1;
  }
}

/** GET with node:http (fetch would load undici: tens of ms more per probe). */
function httpGet(url: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = get(url, { timeout: timeoutMs, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', reject);
  });
}

/** The port the role serves its probes on, as deploy/docker/healthcheck.mjs picks it. */
function probePort(env: NodeJS.ProcessEnv): string | undefined {
  if (env.CELERIAC_ROLE === 'api') return env.PORT ?? '3000';
  return env.CELERIAC_HTTP_PORT ?? env.PORT;
}
