import { describe, expect, it } from 'vitest';
import { readStoredSchedule } from './stored-schedule.js';

const good = JSON.stringify({
  name: 'ok',
  task: 'reports.nightly',
  schedule: { every: 60 },
  args: [1],
  kwargs: {},
  enabled: true,
  source: 'api',
});
const state = JSON.stringify({ nextFireAt: 1000, lastRunAt: null, lastTaskId: null, totalRuns: 2 });

describe('readStoredSchedule', () => {
  it('reads a well-formed row', () => {
    expect(readStoredSchedule('ok', good, state, '3')).toEqual({
      definition: JSON.parse(good) as unknown,
      state: { nextFireAt: 1000, lastRunAt: null, lastTaskId: null, totalRuns: 2, rev: 3 },
    });
  });

  it.each([
    ['null', 'its definition is null'],
    ['5', 'its definition is a number'],
    ['[]', 'its definition is an array'],
    ['{"name":"bad","enabled":true}', 'no task name'],
    ['{"name":"other","task":"t","schedule":{"every":1}}', 'names "other", not "bad"'],
    ['{"name":"bad","task":"t"}', 'no schedule object'],
    ['{"name":"bad","task":"t","schedule":{"every":1},"args":"x"}', 'args are a string'],
    ['{"name":"bad","task":"t","schedule":{"every":0}}', 'its every is 0'],
    ['{"name":"bad","task":"t","schedule":{"every":-5}}', 'its every is -5'],
    ['{"name":"bad","task":"t","schedule":{"every":"abc"}}', 'its every is "abc"'],
    ['{"name":"bad","task":"t","schedule":{"at":"soon"}}', 'its at is "soon"'],
    ['{"name":"bad","task":"t","schedule":{"cron":5}}', 'its cron is a number'],
    ['{"name":"bad","task":"t","schedule":{"cron":"* * * * *","tz":1}}', 'its tz is a number'],
    ['{"name":"bad","task":"t","schedule":{}}', 'none of cron, every and at'],
    ['{"name":"bad","task":"t","schedule":{"every":1},"kwargs":[1]}', 'kwargs are an array'],
  ])('refuses the definition %s, saying what is wrong', (definition, message) => {
    expect(() => readStoredSchedule('bad', definition, state, 1)).toThrow(message);
  });

  it('refuses a state that is not an object or holds a bad instant', () => {
    const def = good.replace('"ok"', '"bad"');
    expect(() => readStoredSchedule('bad', def, 'null', 1)).toThrow('its state is null');
    expect(() => readStoredSchedule('bad', def, '{"nextFireAt":"soon"}', 1)).toThrow(
      `nextFireAt is "soon"`,
    );
  });

  it('fills args and kwargs a hand-written row left out', () => {
    const def = '{"name":"bare","task":"t","schedule":{"every":1},"enabled":true}';
    expect(readStoredSchedule('bare', def, undefined, undefined).definition).toMatchObject({
      args: [],
      kwargs: {},
    });
  });
});
