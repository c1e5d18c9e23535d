import { CONNECTION_OPTIONS, CONNECTION_USAGE, parseCommandArgs } from './cli-args.js';
import type { CliCommand } from './cli-command.js';
import { UsageError } from './cli-error.js';
import type { CliOutput } from './cli-output.js';
import { CliSession } from './cli-session.js';

/** `celeriac purge QUEUE`: remove every ready message of a queue; print how many. */
export const purgeCommand: CliCommand = {
  name: 'purge',
  usage: `QUEUE ${CONNECTION_USAGE}`,
  summary: 'delete every waiting message of QUEUE (all priority bands) and print the count',
  async run(argv: string[], output: CliOutput): Promise<number> {
    const { values, positionals } = parseCommandArgs(argv, CONNECTION_OPTIONS);
    if (positionals.length !== 1) throw new UsageError('purge needs exactly one QUEUE');
    const session = new CliSession(values);
    try {
      const broker = await session.getBroker();
      output.out(String(await broker.purge(positionals[0])));
      return 0;
    } finally {
      await session.close();
    }
  },
};
