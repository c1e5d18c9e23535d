import type { ProbeOutcome } from '../health/health-check.types.js';

/** A probe outcome as Terminus formats it: `status`, then `info` / `error` / `details`. */
export interface ProbeBody {
  status: 'ok' | 'error' | 'shutting_down';
  info: Record<string, Record<string, unknown>>;
  error: Record<string, Record<string, unknown>>;
  details: Record<string, Record<string, unknown>>;
}

/** The HTTP status (200 / 503) and body of a probe, in Terminus' response format. */
export function probeResponse(outcome: ProbeOutcome): { status: number; body: ProbeBody } {
  const body: ProbeBody = { status: outcome.up ? 'ok' : 'error', info: {}, error: {}, details: {} };
  for (const [key, check] of Object.entries(outcome.checks)) {
    const entry = { status: check.up ? 'up' : 'down', ...check.details };
    (check.up ? body.info : body.error)[key] = entry;
    body.details[key] = entry;
  }
  if (!outcome.up && outcome.checks.shutdown?.up === false) body.status = 'shutting_down';
  return { status: outcome.up ? 200 : 503, body };
}
