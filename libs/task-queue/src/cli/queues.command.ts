import { CONNECTION_OPTIONS, CONNECTION_USAGE, parseCommandArgs } from './cli-args.js';
import type { CliCommand } from './cli-command.js';
import { toJsonLine, type CliOutput } from './cli-output.js';
import { CliSession } from './cli-session.js';

const OPTIONS = { ...CONNECTION_OPTIONS, json: { type: 'boolean' } } as const;

/** `celeriac queues [Q...]`: the number of waiting messages per queue (default: `celery`). */
export const queuesCommand: CliCommand = {
  name: 'queues',
  usage: `[QUEUE...] [--json] ${CONNECTION_USAGE}`,
  summary: 'print "QUEUE<TAB>LENGTH" per queue (default: celery); --json prints one object',
  async run(argv: string[], output: CliOutput): Promise<number> {
    const { values, positionals } = parseCommandArgs(argv, OPTIONS);
    const queues = positionals.length > 0 ? positionals : ['celery'];
    const session = new CliSession(values);
    try {
      const broker = await session.getBroker();
      const lengths: Record<string, number> = {};
      for (const queue of queues) lengths[queue] = await broker.queueLength(queue);
      if (values.json) output.out(toJsonLine(lengths));
      else for (const [queue, length] of Object.entries(lengths)) output.out(`${queue}\t${length}`);
      return 0;
    } finally {
      await session.close();
    }
  },
};
