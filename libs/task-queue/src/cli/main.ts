import { Logger } from '@nestjs/common';
import { beatCommand } from './beat.command.js';
import { callCommand } from './call.command.js';
import type { CliCommand } from './cli-command.js';
import { CliError, ExitCode, UsageError } from './cli-error.js';
import { processOutput, type CliOutput } from './cli-output.js';
import { healthCommand } from './health.command.js';
import { inspectCommand } from './inspect.command.js';
import { purgeCommand } from './purge.command.js';
import { queuesCommand } from './queues.command.js';
import { resultCommand } from './result.command.js';
import { scheduleCommand } from './schedule.command.js';
import { errorText } from '../utils/error-text.js';

/** Every `celeriac` command, in help order. */
export const COMMANDS: readonly CliCommand[] = [
  callCommand,
  resultCommand,
  inspectCommand,
  purgeCommand,
  queuesCommand,
  beatCommand,
  scheduleCommand,
  healthCommand,
];

/** What to use instead of the commands `celery` has and `celeriac` has not. */
const NOT_HERE: Record<string, string> = {
  worker:
    'a worker is your own Nest application: an entry file (run with node) that creates an ' +
    'application context of a module importing TaskQueueModule.forRoot() and your @Task ' +
    'providers, then calls handleShutdownSignals(app) (docs/getting-started.md, "Producers ' +
    'and workers in separate processes")',
  control: 'use Python\'s "celery -b <broker> control ..." (docs/monitoring-and-cli.md)',
  events: 'use Python\'s "celery -b <broker> events" (docs/monitoring-and-cli.md)',
  status: 'use "celeriac inspect ping", or Python\'s "celery -b <broker> status"',
};

/** The overall help text. */
export function usage(): string {
  return [
    'usage: celeriac <command> [options]',
    '',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(8)} ${c.summary}`),
    '',
    'Broker and backend come from --broker / --backend or env CELERIAC_BROKER / CELERIAC_RESULT_BACKEND.',
    'Exit codes: 0 ok, 1 task failed / revoked or connection error, 2 usage, 124 --wait ran out.',
    'Run "celeriac <command> --help" for its options.',
  ].join('\n');
}

/**
 * Run the `celeriac` CLI with `argv` (without node and the script) and resolve the exit code.
 * Failures are reported as one line on stderr; library logging is silenced unless
 * `CELERIAC_VERBOSE` is set, so stdout carries only results.
 */
export async function runCli(argv: string[], output: CliOutput = processOutput): Promise<number> {
  if (!process.env.CELERIAC_VERBOSE) Logger.overrideLogger(false);
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    (name ? output.out : output.err)(usage());
    return name ? ExitCode.OK : ExitCode.USAGE;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    const instead = NOT_HERE[name];
    output.err(
      `celeriac: unknown command "${name}" (commands: ${COMMANDS.map((c) => c.name).join(', ')})` +
        (instead ? `; celeriac has no ${name} command: ${instead}.` : ''),
    );
    return ExitCode.USAGE;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    output.out(`usage: celeriac ${command.name} ${command.usage}`);
    return ExitCode.OK;
  }
  try {
    return await command.run(rest, output);
  } catch (error) {
    output.err(`celeriac ${command.name}: ${oneLine(error)}`);
    if (error instanceof UsageError) {
      output.err(`usage: celeriac ${command.name} ${command.usage}`);
    }
    return error instanceof CliError ? error.code : ExitCode.FAILURE;
  }
}

function oneLine(error: unknown): string {
  const text = errorText(error);
  return text.replace(/\s*\n\s*/g, ' ');
}
