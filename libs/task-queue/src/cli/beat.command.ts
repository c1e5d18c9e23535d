import { ConsoleLogger, Logger } from '@nestjs/common';
import { BeatService } from '../beat/beat.service.js';
import { resolveBeatOptions } from '../beat/beat-options.js';
import { ConfigurationError } from '../errors/configuration.error.js';
import { BEAT_OPTIONS, BEAT_USAGE, createBeatApp } from './beat-app.js';
import {
  CONNECTION_OPTIONS,
  CONNECTION_USAGE,
  parseCommandArgs,
  parseInteger,
} from './cli-args.js';
import type { CliCommand } from './cli-command.js';
import { UsageError } from './cli-error.js';
import type { CliOutput } from './cli-output.js';

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  ...BEAT_OPTIONS,
  'lease-ms': { type: 'string' },
  'renew-ms': { type: 'string' },
  'http-port': { type: 'string' },
  'http-host': { type: 'string' },
} as const;

/**
 * `celeriac beat`: a dedicated beat process. Competes for the leader lease with every other
 * beat (API pods, workers, other `celeriac beat`s) and publishes the store's schedules until
 * SIGTERM / SIGINT.
 */
export const beatCommand: CliCommand = {
  name: 'beat',
  usage:
    `${CONNECTION_USAGE} ${BEAT_USAGE} [--lease-ms N] [--renew-ms N] ` +
    '[--http-port N] [--http-host H]  (health server; default: env CELERIAC_HTTP_PORT / _HOST)',
  summary: 'run a beat: publish periodic tasks (one leader among all beats)',
  async run(argv: string[], output: CliOutput): Promise<number> {
    const { values, positionals } = parseCommandArgs(argv, OPTIONS);
    if (positionals.length) throw new UsageError('beat takes no positional arguments');
    const leaseMs = values['lease-ms']
      ? parseInteger(values['lease-ms'], 'lease-ms', 100, 3_600_000)
      : undefined;
    const renewMs = values['renew-ms']
      ? parseInteger(values['renew-ms'], 'renew-ms', 10, 600_000)
      : undefined;
    try {
      resolveBeatOptions({ leaseMs, renewMs });
    } catch (error) {
      // Said as a usage error, before Nest boots (and prints its stack for it).
      if (error instanceof ConfigurationError) throw new UsageError(error.message);
      throw error;
    }
    const httpPort = values['http-port'] ?? process.env.CELERIAC_HTTP_PORT;
    const http = httpPort
      ? {
          port: parseInteger(httpPort, 'http-port', 0, 65_535),
          host: values['http-host'] ?? process.env.CELERIAC_HTTP_HOST ?? '0.0.0.0',
        }
      : undefined;
    // The CLI silences library logs; a beat process is a service: its log is its output.
    Logger.overrideLogger(new ConsoleLogger({ logLevels: ['log', 'warn', 'error'] }));
    const app = await createBeatApp(
      values,
      { leaseMs, renewMs, syncDecorators: false },
      true,
      process.env,
      http,
    );
    await app.init();
    output.out(`celeriac beat ${app.get(BeatService).owner} started`);
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      for (const name of ['SIGTERM', 'SIGINT'] as const) process.once(name, () => resolve(name));
    });
    output.out(`celeriac beat: ${signal}, stopping`);
    await app.close();
    return 0;
  },
};
