import { SENT_AT_HEADER } from '../contracts/queue-stats.interface.js';

/** The SENT_AT_HEADER of a message (epoch ms), when it has a usable one. */
export function sentAtOf(headers: Record<string, unknown>): number | undefined {
  const value = headers[SENT_AT_HEADER];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** Seconds since `startedAt`, a `performance.now()` reading. */
export function seconds(startedAt: number): number {
  return (performance.now() - startedAt) / 1000;
}
