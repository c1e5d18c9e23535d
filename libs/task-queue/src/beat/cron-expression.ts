import { Cron } from 'croner';
import { ConfigurationError } from '../errors/configuration.error.js';
import { toCronerSyntax } from './celery-cron-syntax.js';
import { ZonedTime } from './zoned-time.js';

const FIELDS =
  'The fields are: minute (0-59) hour (0-23) day-of-month (1-31) month (1-12 or jan-dec) ' +
  'day-of-week (0-7 or sun-sat); a range may wrap (fri-mon, 22-2), for example ' +
  '"*/15 9-17 * * mon-fri".';

/**
 * A cron expression in an IANA time zone: the one place that knows the cron library (croner).
 *
 * Field semantics are Celery's `crontab`: `minute hour day_of_month month_of_year day_of_week`
 * (an optional seconds field first), day_of_week 0 (or 7) = Sunday, names allowed (`sun`,
 * `sunday`), a range may wrap past the field's end (`fri-mon`, `22-2`; {@link toCronerSyntax}),
 * and when both day fields are restricted a day must match both (Celery ANDs them; Vixie cron
 * ORs).
 *
 * DST: croner matches the expression against wall-clock time with no zone of its own, and
 * {@link ZonedTime} maps the wall time to an instant. So a wall time that does not exist (the
 * skipped hour of spring-forward) fires once, at the first instant after the gap (unless the
 * hour field is `*`: then the skipped times are skipped), and a wall time that occurs twice
 * (fall-back) fires once, at its first occurrence.
 */
export class CronExpression {
  private readonly cron: Cron;
  private readonly zone: ZonedTime;
  /** The hour field is `*`: a skipped hour's wall times are skipped, not made up after the gap. */
  private readonly everyHour: boolean;

  constructor(
    readonly expression: string,
    readonly tz: string = 'UTC',
  ) {
    const fields = expression.trim().split(/\s+/);
    if (fields.length !== 5 && fields.length !== 6) {
      throw new ConfigurationError(
        `Cron expression "${expression}" must have 5 fields or 6 (seconds first). ${FIELDS}`,
      );
    }
    try {
      this.cron = new Cron(toCronerSyntax(expression), {
        timezone: 'UTC',
        domAndDow: true,
        paused: true,
      });
    } catch (error) {
      throw new ConfigurationError(
        `Invalid cron expression "${expression}": ${(error as Error).message}. ${FIELDS}`,
      );
    }
    this.zone = new ZonedTime(tz);
    this.everyHour = fields[fields.length - 4] === '*';
  }

  /** The first fire instant strictly after `after` (epoch ms), or null if there is none. */
  nextAfter(after: number): number | null {
    let wall = this.zone.wallAt(after);
    // Fall-back: wall times of the repeated hour already fired map to instants <= after.
    for (let guard = 0; guard < 10_000; guard++) {
      const next = this.cron.nextRun(new Date(wall));
      if (!next) return null;
      wall = next.getTime();
      const instant = this.zone.instantOf(wall);
      // A wall time in a spring-forward gap maps past the gap. An hourly expression fires again
      // right after the gap anyway, so its skipped times are skipped (as Celery and cron do).
      if (this.everyHour && this.zone.wallAt(instant) !== wall) continue;
      if (instant > after) return instant;
    }
    return null;
  }
}
