import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CronExpression } from './cron-expression.js';

/** Forms Python Celery's `crontab()` accepts that plain cron parsers refuse. */
const CASES = [
  '0 9 * * fri-mon', // day_of_week range wrapping past Saturday
  '0 9 * * 6-0',
  '0 9 * * 5-1/2', // a wrapping range with a step: Fri, Sun
  '0 22-2 * * *', // hours wrapping past midnight
  '50-10 * * * *',
  '0 0 25-5 * *', // days of month wrapping past the 31st
  '0 0 1 11-2 *', // months wrapping past December
  '0 9 * * sunday', // full day names, any case
  '0 9 * * Tuesday',
  '0 9 * * monday-friday',
  '0 9 * * saturday-tue',
  '*/90 * * * *', // a step past the field's size keeps its first value (croner refuses it)
  '0 */30 * * *',
  '0 0 */40 * *',
  '0 9 * * 0-6/8',
  '0 0 1 2-11/12 *',
  '1-30/7 * * * *', // steps of ranges and of *, in every field
  '0 0 */7 * *',
  '0 0 1 */5 *',
  '0 9 * * */2',
  '0 9 * * 1-5/2',
  '0 9 * * MON-FRI', // names in any case
  '0 9 * * Sun',
];

/** The next 6 fires after `start` of each expression, by Python Celery's crontab in UTC. */
function celeryFires(expressions: string[], start: number): number[][] {
  const script = `
import json, sys
from datetime import datetime, timezone
from celery import Celery
from celery.schedules import crontab
app = Celery(set_as_current=False)
app.conf.timezone = 'UTC'
out = []
for f in json.load(sys.stdin):
    t = datetime.fromtimestamp(${start} / 1000, tz=timezone.utc)
    fires = []
    for _ in range(6):
        now = t
        c = crontab(app=app, nowfun=lambda: now, minute=f[0], hour=f[1], day_of_month=f[2],
                    month_of_year=f[3], day_of_week=f[4])
        t = t + c.remaining_estimate(t)
        fires.append(int(t.timestamp() * 1000))
    out.append(fires)
print(json.dumps(out))
`;
  const input = JSON.stringify(expressions.map((expression) => expression.split(' ')));
  return JSON.parse(
    execFileSync('/usr/bin/python3', ['-c', script], { input, encoding: 'utf8' }),
  ) as number[][];
}

describe('CronExpression with the syntax of Celery crontab()', () => {
  const start = Date.parse('2026-03-27T10:07:00Z');

  it('accepts them and fires when Python Celery 5.2.6 does', () => {
    const iso = (list: number[]): string[] => list.map((f) => new Date(f).toISOString());
    const python = celeryFires(CASES, start);
    const actual = CASES.map((expression) => {
      const cron = new CronExpression(expression);
      const fires: number[] = [];
      for (let t = start, k = 0; k < 6; k++) fires.push((t = cron.nextAfter(t)!));
      return `${expression}: ${iso(fires).join(' ')}`;
    });
    const expected = CASES.map((expression, i) => `${expression}: ${iso(python[i]!).join(' ')}`);
    expect(actual).toEqual(expected);
  });

  it('still refuses a range past the field bounds and an unknown day name', () => {
    expect(() => new CronExpression('0 9 * * 5-9')).toThrow(/Invalid cron expression/);
    expect(() => new CronExpression('0 25-2 * * *')).toThrow(/Invalid cron expression/);
    expect(() => new CronExpression('0 9 * * funday')).toThrow(/Invalid cron expression/);
  });
});
