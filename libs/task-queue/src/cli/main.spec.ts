import { describe, expect, it } from 'vitest';
import { runCli } from './main.js';

async function run(argv: string[]): Promise<{ code: number; err: string }> {
  const lines: string[] = [];
  const code = await runCli(argv, { out: () => undefined, err: (line) => lines.push(line) });
  return { code, err: lines.join('\n') };
}

describe('celeriac: commands it does not have', () => {
  it('"celeriac worker" (as "celery worker") says that a worker is the app\'s own entry file', async () => {
    const { code, err } = await run(['worker']);
    expect(code).toBe(2);
    expect(err).toContain('unknown command "worker"');
    expect(err).toContain('celeriac has no worker command: a worker is your own Nest application');
    expect(err).toContain('handleShutdownSignals(app)');
  });

  it('"celeriac control" and "celeriac events" point to Python\'s celery', async () => {
    expect((await run(['control', 'shutdown'])).err).toContain('"celery -b <broker> control ..."');
    expect((await run(['events'])).err).toContain('"celery -b <broker> events"');
  });

  it('another unknown command lists the commands only', async () => {
    const { code, err } = await run(['frobnicate']);
    expect(code).toBe(2);
    expect(err).toBe(
      'celeriac: unknown command "frobnicate" (commands: call, result, inspect, purge, queues, beat, schedule, health)',
    );
  });
});

describe('celeriac schedule add: options that would be ignored', () => {
  it('refuses --tz without --cron, before connecting, instead of dropping the zone', async () => {
    for (const spec of [
      ['--every', '5'],
      ['--at', '2027-01-01T09:00:00'],
    ]) {
      const { code, err } = await run([
        'schedule',
        'add',
        'x',
        't',
        ...spec,
        '--tz',
        'Europe/Berlin',
      ]);
      expect(code, spec[0]).toBe(2);
      expect(err, spec[0]).toContain('--tz applies only to --cron');
    }
  });
});
