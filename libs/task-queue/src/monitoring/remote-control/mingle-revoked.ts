import type { Revocation } from '../../contracts/revocation-store.interface.js';

/**
 * Revoked ids as Celery's mingle exchanges them (`hello`): a Python worker's `LimitedSet._data`,
 * `{id: [inserted, id]}`, where `inserted` is a float of that worker's `time.monotonic()` and
 * the entry lasts `REVOKE_EXPIRES` (3 h) from it. A Python worker rejects the whole reply
 * (`Expecting float timestamp`) if one stamp reads back as an int.
 */
export type MingleRevoked = Record<string, [number, string]>;

/** Celery's `REVOKE_EXPIRES`: how long a Python worker keeps a revoked id, in seconds. */
const REVOKE_EXPIRES_S = 10_800;

/**
 * Seconds of CLOCK_MONOTONIC, which Python's `time.monotonic()` also reads on Linux: stamps
 * compare between workers of one host, and across hosts as loosely as between Celery's own.
 */
export function monotonicSeconds(): number {
  return Number(process.hrtime.bigint()) / 1e9;
}

/**
 * Our live revocations as a `hello` reply's `revoked`, stamped so that a Python worker expires
 * each one when this worker does (the stamp is `REVOKE_EXPIRES` before the expiry).
 */
export function toMingleRevoked(
  revocations: Iterable<Revocation>,
  nowMs = Date.now(),
  monotonic = monotonicSeconds(),
): MingleRevoked {
  const out: MingleRevoked = {};
  for (const { id, expiresAt } of revocations) {
    if (expiresAt <= nowMs) continue;
    const left = Math.min((expiresAt - nowMs) / 1000, REVOKE_EXPIRES_S);
    out[id] = [asFloat(monotonic - REVOKE_EXPIRES_S + left), id];
  }
  return out;
}

/**
 * The revocations a Python worker's `hello` carries (its `LimitedSet._data`: `{id: [stamp, id]}`
 * or `{id: stamp}`), each kept until Python would drop it. Stamps from another host's clock
 * that lie ahead of ours count as made now; malformed entries are left out.
 */
export function fromMingleRevoked(
  value: unknown,
  nowMs = Date.now(),
  monotonic = monotonicSeconds(),
): Revocation[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  const out: Revocation[] = [];
  for (const [id, entry] of Object.entries(value as Record<string, unknown>)) {
    const stamp = Array.isArray(entry) ? entry[0] : entry;
    if (typeof stamp !== 'number' || !Number.isFinite(stamp)) continue;
    const age = Math.max(0, monotonic - stamp);
    if (age >= REVOKE_EXPIRES_S) continue;
    const expiresAt = nowMs + (REVOKE_EXPIRES_S - age) * 1000;
    out.push({ id, expiresAt, terminate: false, reason: 'revoked' });
  }
  return out;
}

/** `value`, moved by a microsecond if it is integral, so that JSON writes it with a fraction. */
function asFloat(value: number): number {
  return Number.isInteger(value) ? value + 1e-6 : value;
}
