import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Subscription } from 'rxjs';
import type { BeatEvent, BeatEvents } from '../../beat/beat-events.js';

/** Seconds: a fire is due at an instant and published within milliseconds when healthy. */
export const BEAT_LATENESS_BUCKETS = [
  0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300,
];

/** What the beat metrics read of the beat of this process. */
export interface BeatState {
  readonly isLeader: boolean;
}

/**
 * The beat of this process (`TaskQueueBeatModule`): lateness of each fire it published, fires
 * by schedule, fires it skipped or failed to publish, and whether it is the leader. Fed by
 * `BeatEvents`; only the leader fires, so sum the counters over pods and look for exactly one
 * leader (`sum(celeriac_beat_leader) == 1`).
 */
export class BeatMetrics {
  private readonly subscription: Subscription;

  constructor(registry: Registry, events: BeatEvents, beat: BeatState) {
    const lateness = new Histogram({
      name: 'celeriac_beat_fire_lateness_seconds',
      help: 'Seconds from the instant a fire was due (with its jitter) to the end of its publish.',
      buckets: BEAT_LATENESS_BUCKETS,
      registers: [registry],
    });
    const fires = new Counter({
      name: 'celeriac_beat_fires_total',
      help: 'Fires this beat published, by schedule and task.',
      labelNames: ['schedule', 'task'],
      registers: [registry],
    });
    const skipped = new Counter({
      name: 'celeriac_beat_skipped_fires_total',
      help: 'Fires this beat did not publish: outside the catch-up window, or overlapping a run.',
      labelNames: ['schedule', 'reason'],
      registers: [registry],
    });
    const failed = new Counter({
      name: 'celeriac_beat_publish_failures_total',
      help: 'Publishes of claimed fires that failed (the fire is retried).',
      labelNames: ['schedule'],
      registers: [registry],
    });
    new Gauge({
      name: 'celeriac_beat_leader',
      help: '1 while the beat of this process holds the leader lease, else 0.',
      registers: [registry],
      collect() {
        this.set(beat.isLeader ? 1 : 0);
      },
    });
    this.subscription = events.events$.subscribe((event: BeatEvent) => {
      switch (event.type) {
        case 'fired':
          lateness.observe(Math.max(0, event.lateness) / 1000);
          fires.inc({ schedule: event.name, task: event.task });
          break;
        case 'skipped':
          skipped.inc({ schedule: event.name, reason: event.reason }, event.count);
          break;
        case 'publish-failed':
          failed.inc({ schedule: event.name });
          break;
        default:
          break;
      }
    });
  }

  close(): void {
    this.subscription.unsubscribe();
  }
}
