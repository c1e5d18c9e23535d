import { ConfigurationError } from '../errors/configuration.error.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const formatters = new Map<string, Intl.DateTimeFormat>();

/**
 * Wall-clock time of an IANA zone, as "naive" epoch ms (the wall time read as if it were UTC),
 * and back. The conversion back states the DST rule: a wall time in a spring-forward gap maps
 * to the first instant after the gap; a wall time that occurs twice (fall-back) maps to its
 * first occurrence.
 */
export class ZonedTime {
  private readonly format: Intl.DateTimeFormat;

  constructor(readonly zone: string) {
    this.format = formatterOf(zone);
  }

  /** UTC offset in ms at `instant` (wall = instant + offset). */
  offsetAt(instant: number): number {
    const parts = this.format.formatToParts(new Date(instant));
    const field = (type: Intl.DateTimeFormatPartTypes): number =>
      Number(parts.find((p) => p.type === type)!.value);
    const wall = Date.UTC(
      field('year'),
      field('month') - 1,
      field('day'),
      field('hour') % 24,
      field('minute'),
      field('second'),
    );
    return wall - (instant - (((instant % 1000) + 1000) % 1000));
  }

  /** The wall time at `instant`, as naive ms. */
  wallAt(instant: number): number {
    return instant + this.offsetAt(instant);
  }

  /** The instant of wall time `wall` under the DST rule above. */
  instantOf(wall: number): number {
    let best: number | null = null;
    for (const probe of [wall - DAY, wall, wall + DAY]) {
      const instant = wall - this.offsetAt(probe);
      if (this.wallAt(instant) === wall && (best === null || instant < best)) best = instant;
    }
    return best ?? this.gapEnd(wall);
  }

  /** `wall` does not exist (spring-forward gap): the first instant whose wall time is later. */
  private gapEnd(wall: number): number {
    // Offsets lie within -12 h .. +14 h, so wallAt(low) < wall < wallAt(high); one transition
    // at most lies between them, and across a forward gap wallAt only grows.
    let low = wall - 18 * HOUR;
    let high = wall + 18 * HOUR;
    while (high - low > 1000) {
      const mid = Math.floor((low + high) / 2000) * 1000;
      if (this.wallAt(mid) > wall) high = mid;
      else low = mid;
    }
    return high;
  }
}

function formatterOf(zone: string): Intl.DateTimeFormat {
  let format = formatters.get(zone);
  if (!format) {
    try {
      format = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      throw new ConfigurationError(
        `Unknown time zone "${zone}" (use an IANA name such as Europe/Berlin).`,
      );
    }
    formatters.set(zone, format);
  }
  return format;
}
