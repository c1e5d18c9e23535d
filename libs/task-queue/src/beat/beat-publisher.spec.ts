import { describe, expect, it } from 'vitest';
import type { ScheduleDefinition } from '../contracts/schedule-store.interface.js';
import { messageExpiry } from './beat-publisher.js';

const definition = (fields: Partial<ScheduleDefinition>): ScheduleDefinition => ({
  name: 'n',
  task: 't',
  schedule: { every: 60 },
  args: [],
  kwargs: {},
  enabled: true,
  source: 'api',
  ...fields,
});

describe('messageExpiry', () => {
  const at = Date.parse('2026-12-07T10:00:00Z');
  const end = Date.parse('2026-12-31T00:00:00Z');

  it('is expires seconds after the scheduled instant', () => {
    expect(messageExpiry(definition({ expires: 30, endAt: end }), at)).toEqual(
      new Date(at + 30_000),
    );
    expect(messageExpiry(definition({}), at)).toBeUndefined();
  });

  it("is a django-celery-beat row's expires when it has no expire_seconds, as in Celery", () => {
    // django-celery-beat sends options['expires'] = expire_seconds or expires.
    expect(messageExpiry(definition({ source: 'django', endAt: end }), at)).toEqual(new Date(end));
    expect(messageExpiry(definition({ source: 'django', endAt: end, expires: 5 }), at)).toEqual(
      new Date(at + 5_000),
    );
    // endAt of a Celeriac schedule only ends its fires.
    expect(messageExpiry(definition({ source: 'api', endAt: end }), at)).toBeUndefined();
  });
});
