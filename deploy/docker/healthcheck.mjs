// The image's HEALTHCHECK: exit 0 when GET /health/live answers 2xx within the timeout, 1
// otherwise. Port: CELERIAC_HTTP_PORT (worker, beat) or PORT (api). Usage:
//   node deploy/docker/healthcheck.mjs [path]        (default /health/live)
const path = process.argv[2] ?? '/health/live';
const port = process.env.CELERIAC_HTTP_PORT ?? process.env.PORT;
const timeoutMs = Number(process.env.CELERIAC_HEALTHCHECK_TIMEOUT_MS ?? 2000);

if (!port) {
  console.error('healthcheck: neither CELERIAC_HTTP_PORT nor PORT is set; no endpoint to probe.');
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
