// The image's HEALTHCHECK: exit 0 when GET /health/live answers 2xx within the timeout, 1
// otherwise. Port: PORT (default 3000) when CELERIAC_ROLE is api, CELERIAC_HTTP_PORT otherwise
// (so with Docker / compose select the role by CELERIAC_ROLE, not by argument). Usage:
//   node deploy/docker/healthcheck.mjs [path]        (default /health/live)
// The same probe as `celeriac health` (libs/task-queue/src/cli/health-probe.ts): same port
// choice and timeout variable; this copy needs nothing but Node.
const path = process.argv[2] ?? '/health/live';
const api = process.env.CELERIAC_ROLE === 'api';
const port = api ? (process.env.PORT ?? '3000') : process.env.CELERIAC_HTTP_PORT;
const timeoutMs = Number(process.env.CELERIAC_HEALTHCHECK_TIMEOUT_MS ?? 2000);

if (!port) {
  console.error(
    'healthcheck: CELERIAC_HTTP_PORT is not set, so the process serves no health endpoint.',
  );
  process.exit(1);
}
const url = `http://127.0.0.1:${port}${path}`;
try {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!response.ok) {
    console.error(`healthcheck: ${url} answered ${response.status}`);
    process.exit(1);
  }
} catch (error) {
  console.error(`healthcheck: ${url}: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
