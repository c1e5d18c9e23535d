import { loadavg, type as osType } from 'node:os';

/** `sw_ident` of Celeriac workers in events. */
export const SW_IDENT = 'celeriac';
/** `sw_ver`: the Celeriac version. */
export const SW_VERSION = '0.1.0';

/** A Celery event: `type` plus its fields. */
export type CeleryEvent = Record<string, unknown> & { type: string };

/**
 * The fields every event carries (docs/protocol.md#event-fields): hostname, utcoffset (hours WEST of UTC, Python's
 * `time.timezone // 3600` sign), pid, clock and timestamp (float Unix seconds).
 */
export function standardFields(
  type: string,
  hostname: string,
  clock: number,
  timestamp = Date.now(),
): CeleryEvent {
  return {
    hostname,
    utcoffset: utcOffsetHours(timestamp),
    pid: process.pid,
    clock,
    timestamp: timestamp / 1000,
    type,
  };
}

let offsetMinute = NaN;
let offsetHours = 0;

/**
 * `utcoffset` at `timestamp` (ms): hours west of UTC. Looked up once a minute (offsets change
 * on minute boundaries), not for every event.
 */
export function utcOffsetHours(timestamp: number): number {
  const minute = Math.floor(timestamp / 60_000);
  if (minute !== offsetMinute) {
    offsetMinute = minute;
    offsetHours = Math.floor(new Date(timestamp).getTimezoneOffset() / 60);
  }
  return offsetHours;
}

/** The worker-* fields (docs/protocol.md#event-fields): freq, active, processed, loadavg, sw_ident, sw_ver, sw_sys. */
export function workerFields(
  freq: number,
  active: number,
  processed: number,
): Record<string, unknown> {
  return {
    freq,
    active,
    processed,
    loadavg: loadavg().map((n) => Math.round(n * 100) / 100),
    sw_ident: SW_IDENT,
    sw_ver: SW_VERSION,
    sw_sys: osType(),
  };
}

/** The routing key of an event type on `celeryev`: `-` becomes `.` (`worker.heartbeat`). */
export function eventRoutingKey(type: string): string {
  return type.replace(/-/g, '.');
}
