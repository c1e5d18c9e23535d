import { CONNECTION_OPTIONS, parseCommandArgs, parseWait } from './cli-args.js';
import type { CliCommand } from './cli-command.js';
import { UsageError } from './cli-error.js';
import { toJsonLine, type CliOutput } from './cli-output.js';
import { CliSession } from './cli-session.js';
import { taskOutcome } from './task-outcome.js';
import { waitForTask } from './wait-for-task.js';

const OPTIONS = { ...CONNECTION_OPTIONS, wait: { type: 'string' } } as const;

/** `celeriac result ID [--wait S]`: print a task's state and result as JSON. */
export const resultCommand: CliCommand = {
  name: 'result',
  usage: `ID [--wait SECONDS] [--backend URL]  (default: env CELERIAC_RESULT_BACKEND)`,
  summary: 'print the state and result of a task as JSON; --wait until it is ready',
  async run(argv: string[], output: CliOutput): Promise<number> {
    const { values, positionals } = parseCommandArgs(argv, OPTIONS);
    if (positionals.length !== 1) throw new UsageError('result needs exactly one task ID');
    const id = positionals[0];
    const waitMs = parseWait(values.wait);
    const session = new CliSession(values);
    try {
      const backend = await session.getBackend();
      const meta =
        waitMs === undefined ? await backend.get(id) : await waitForTask(backend, id, waitMs);
      const outcome = taskOutcome(id, meta);
      output.out(toJsonLine(outcome.view));
      if (outcome.reason) output.err(`celeriac: ${outcome.reason}`);
      return outcome.code;
    } finally {
      await session.close();
    }
  },
};
