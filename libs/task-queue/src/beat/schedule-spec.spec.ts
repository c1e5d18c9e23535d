import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors/configuration.error.js';
import { toScheduleDefinition } from './schedule-definition.js';
import { toStoredSpec } from './schedule-spec.js';

describe('a bad cron expression or zone', () => {
  it('names the @Periodic it is on, and the fields with an example', () => {
    const attempt = () => toStoredSpec('61 * * * *', '@Periodic on ReportTasks.nightly');
    expect(attempt).toThrow(ConfigurationError);
    expect(attempt).toThrow(
      /^@Periodic on ReportTasks\.nightly: Invalid cron expression "61 \* \* \* \*"/,
    );
    expect(attempt).toThrow('minute (0-59) hour (0-23)');
    expect(attempt).toThrow('for example "*/15 9-17 * * mon-fri"');
  });

  it('names the schedule of a runtime edit, for a wrong field count and an unknown zone', () => {
    const fields = () => toScheduleDefinition('cleanup', 'maintenance.cleanup', '* * *', {}, 'api');
    expect(fields).toThrow(/^schedule "cleanup": Cron expression "\* \* \*" must have 5 fields/);
    const zone = () =>
      toScheduleDefinition(
        'cleanup',
        'maintenance.cleanup',
        '0 3 * * *',
        { tz: 'Mars/Olympus' },
        'api',
      );
    expect(zone).toThrow(/^schedule "cleanup": Unknown time zone "Mars\/Olympus"/);
  });
});
