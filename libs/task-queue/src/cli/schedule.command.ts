import type { INestApplicationContext } from '@nestjs/common';
import type { ScheduleSpec } from '../contracts/schedule-store.interface.js';
import { describeSpec } from '../beat/schedule-spec.js';
import { Schedules, type ScheduleInfo } from '../beat/schedules.service.js';
import { BEAT_OPTIONS, BEAT_USAGE, createBeatApp } from './beat-app.js';
import {
  CONNECTION_OPTIONS,
  CONNECTION_USAGE,
  parseCommandArgs,
  parseDate,
  parseJsonArray,
  parseJsonObject,
  parseNumber,
} from './cli-args.js';
import type { CliCommand } from './cli-command.js';
import { CliError, UsageError } from './cli-error.js';
import { checkRedisReachable } from './redis-preflight.js';
import { toJsonLine, type CliOutput } from './cli-output.js';

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  ...BEAT_OPTIONS,
  cron: { type: 'string' },
  tz: { type: 'string' },
  every: { type: 'string' },
  at: { type: 'string' },
  args: { type: 'string' },
  kwargs: { type: 'string' },
  queue: { type: 'string' },
  json: { type: 'boolean' },
} as const;

const ACTIONS = ['ls', 'add', 'pause', 'resume', 'trigger', 'rm'] as const;

/**
 * `celeriac schedule ls|add|pause|resume|trigger|rm`: edit the beat's schedules in its store;
 * the leader applies each edit within milliseconds.
 */
export const scheduleCommand: CliCommand = {
  name: 'schedule',
  usage:
    `ls [--json] | add NAME TASK (--cron EXPR [--tz ZONE] | --every SECONDS | --at ISO) ` +
    `[--args JSON] [--kwargs JSON] [--queue Q] | pause|resume|trigger|rm NAME  ${CONNECTION_USAGE} ${BEAT_USAGE}`,
  summary: 'list, add, pause, resume, trigger or remove periodic schedules',
  async run(argv: string[], output: CliOutput): Promise<number> {
    const { values, positionals } = parseCommandArgs(argv, OPTIONS);
    const [action, name, task] = positionals;
    if (!ACTIONS.includes(action as (typeof ACTIONS)[number])) {
      throw new UsageError(`schedule needs one of ${ACTIONS.join(', ')}`);
    }
    if (action !== 'ls' && !name) throw new UsageError(`schedule ${action} needs a NAME`);
    if (action === 'add' && !task) throw new UsageError('schedule add needs NAME and TASK');
    const spec = action === 'add' ? specOf(values) : undefined;
    const env = process.env;
    await checkRedisReachable(
      values.broker ?? env.CELERIAC_BROKER,
      values.backend ?? env.CELERIAC_RESULT_BACKEND,
      values.store ?? env.CELERIAC_BEAT_STORE,
    );
    const app: INestApplicationContext = await createBeatApp(
      values,
      { enabled: false, syncDecorators: false },
      false,
    );
    try {
      await app.init();
      const schedules = app.get(Schedules);
      switch (action) {
        case 'ls': {
          const all = await schedules.list();
          for (const info of all) output.out(values.json ? toJsonLine(info) : line(info));
          return 0;
        }
        case 'add': {
          const info = await schedules.add(name!, task!, spec!, {
            args: parseJsonArray(values.args, 'args'),
            kwargs: parseJsonObject(values.kwargs, 'kwargs'),
            queue: values.queue,
          });
          output.out(line(info));
          return 0;
        }
        case 'pause':
          output.out(line(await schedules.pause(name!)));
          return 0;
        case 'resume':
          output.out(line(await schedules.resume(name!)));
          return 0;
        case 'trigger':
          output.out(await schedules.trigger(name!));
          return 0;
        default:
          if (!(await schedules.remove(name!))) {
            // Not a command-line mistake: the name is not in this store (exit 1, no usage), as
            // pause, resume and trigger of an unknown name.
            throw new CliError(
              `No schedule named "${name}": nothing removed ("celeriac schedule ls" lists them).`,
            );
          }
          output.out(`removed ${name}`);
          return 0;
      }
    } finally {
      await app.close();
    }
  },
};

function specOf(values: { cron?: string; tz?: string; every?: string; at?: string }): ScheduleSpec {
  const given = [values.cron, values.every, values.at].filter((v) => v !== undefined).length;
  if (given !== 1) throw new UsageError('schedule add needs exactly one of --cron, --every, --at');
  if (values.tz !== undefined && values.cron === undefined) {
    // Dropping it would fire at another time than meant (an --at without an offset is read in
    // this process's zone).
    throw new UsageError(
      '--tz applies only to --cron; give --at an offset (2027-01-01T09:00:00+01:00) or Z',
    );
  }
  if (values.cron !== undefined) return { cron: values.cron, tz: values.tz };
  if (values.every !== undefined) return { every: parseNumber(values.every, 'every', 0.001) };
  return { at: parseDate(values.at!, 'at') };
}

function line(info: ScheduleInfo): string {
  const next = info.nextFireAt ? info.nextFireAt.toISOString() : '-';
  const last = info.lastRunAt ? info.lastRunAt.toISOString() : '-';
  const state = info.enabled ? 'active' : 'paused';
  return [
    info.name,
    info.task,
    describeSpec(info.schedule),
    state,
    `next=${next}`,
    `last=${last}`,
    `runs=${info.totalRuns}`,
  ].join('\t');
}
