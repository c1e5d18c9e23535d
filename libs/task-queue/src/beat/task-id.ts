import { v5 as uuidv5 } from 'uuid';

/** uuid5 namespace of beat task ids (a fixed random uuid: the ids are the same on every beat). */
const BEAT_NAMESPACE = '5f0cbd0e-7a57-4c1e-9d3b-2f3a8e6c1b44';

/**
 * The task id of schedule `name` firing for `scheduledAt` (epoch ms): uuid5 of
 * `name|ISO instant`. Every beat (and a leader that publishes again after a failover) sends the
 * same id for the same fire, and workers drop a copy whose id already succeeded.
 */
export function beatTaskId(name: string, scheduledAt: number): string {
  return uuidv5(`${name}|${new Date(scheduledAt).toISOString()}`, BEAT_NAMESPACE);
}

/** Deterministic jitter in [0, max) ms for one fire: the same on every beat instance. */
export function fireJitter(name: string, scheduledAt: number, max: number | undefined): number {
  if (!max || max <= 0) return 0;
  const id = beatTaskId(name, scheduledAt);
  return Number.parseInt(id.slice(0, 8), 16) % Math.floor(max);
}
