import type { BeatOptions } from 'celeriac';

/**
 * Beat settings from the environment: CELERIAC_BEAT_STORE (default: the broker's Redis, or
 * memory with the memory broker), CELERIAC_BEAT=0 to not compete for leadership in this process
 * (schedules are still written and editable).
 */
export function beatConfig(env: NodeJS.ProcessEnv = process.env): BeatOptions {
  return {
    store: env.CELERIAC_BEAT_STORE || undefined,
    enabled: env.CELERIAC_BEAT !== '0',
  };
}
