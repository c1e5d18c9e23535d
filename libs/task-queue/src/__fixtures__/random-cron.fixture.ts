/** Random crontabs for the differential specs: the expression and its value sets per field. */
export interface RandomCron {
  expression: string;
  /** Celery crontab keyword arguments (minute, hour, day_of_week, day_of_month, month_of_year). */
  celery: Record<string, string>;
  minutes: Set<number>;
  hours: Set<number>;
  days: Set<number>;
  months: Set<number>;
  weekdays: Set<number>;
}

/** A small deterministic PRNG (mulberry32), so a failing case can be replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

function field(
  random: () => number,
  min: number,
  max: number,
  allowStar: boolean,
  focus?: number[],
): { text: string; values: Set<number> } {
  const pick = (): number =>
    focus && random() < 0.5
      ? focus[Math.floor(random() * focus.length)]!
      : min + Math.floor(random() * (max - min + 1));
  const kind = random();
  if (allowStar && kind < 0.3) return { text: '*', values: new Set(range(min, max)) };
  if (kind < 0.5) {
    const step = [2, 3, 5, 10, 15, 20, 30].filter((s) => s <= (max - min) / 2 + 1)[
      Math.floor(random() * 4)
    ];
    if (step) {
      return {
        text: `*/${step}`,
        values: new Set(range(min, max).filter((v) => (v - min) % step === 0)),
      };
    }
  }
  if (kind < 0.7) {
    const a = pick();
    const b = Math.min(max, a + Math.floor(random() * 4));
    return { text: a === b ? `${a}` : `${a}-${b}`, values: new Set(range(a, b)) };
  }
  const values = new Set([pick(), pick()]);
  return { text: [...values].sort((x, y) => x - y).join(','), values };
}

/** A random 5-field crontab; hours lean towards 0-3 (where DST changes happen). */
export function randomCron(random: () => number): RandomCron {
  const minute = field(random, 0, 59, false, [0, 30, 45]);
  const hour = field(random, 0, 23, true, [0, 1, 2, 3]);
  const dom =
    random() < 0.8 ? { text: '*', values: new Set(range(1, 31)) } : field(random, 1, 31, false);
  const month =
    random() < 0.85 ? { text: '*', values: new Set(range(1, 12)) } : field(random, 1, 12, false);
  const dow =
    random() < 0.7 ? { text: '*', values: new Set(range(0, 6)) } : field(random, 0, 6, false);
  return {
    expression: `${minute.text} ${hour.text} ${dom.text} ${month.text} ${dow.text}`,
    celery: {
      minute: minute.text,
      hour: hour.text,
      day_of_month: dom.text,
      month_of_year: month.text,
      day_of_week: dow.text,
    },
    minutes: minute.values,
    hours: hour.values,
    days: dom.values,
    months: month.values,
    weekdays: dow.values,
  };
}

/** Whether wall time `wall` (naive ms) matches `cron` (Celery: day-of-month AND day-of-week). */
export function matches(cron: RandomCron, wall: number): boolean {
  const d = new Date(wall);
  return (
    cron.minutes.has(d.getUTCMinutes()) &&
    cron.hours.has(d.getUTCHours()) &&
    cron.days.has(d.getUTCDate()) &&
    cron.months.has(d.getUTCMonth() + 1) &&
    cron.weekdays.has(d.getUTCDay())
  );
}
