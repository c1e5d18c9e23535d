import { ControlClient } from '../monitoring/remote-control/control.client.js';
import type { ControlCallOptions } from '../monitoring/remote-control/control-client.options.js';
import { CONNECTION_OPTIONS, CONNECTION_USAGE, parseCommandArgs, parseNumber } from './cli-args.js';
import type { CliCommand } from './cli-command.js';
import { CliError, UsageError } from './cli-error.js';
import { toJsonLine, type CliOutput } from './cli-output.js';
import { CliSession } from './cli-session.js';
import { isSentinelUrl, maskSentinelUrl } from '../transports/redis/redis-sentinel-url.js';
import { maskUrl } from '../utils/mask-url.js';
import { checkRedisReachable } from './redis-preflight.js';

/** The `celery inspect` methods the CLI knows (`query_task` takes task ids after it). */
export const INSPECT_METHODS = [
  'ping',
  'stats',
  'registered',
  'active',
  'reserved',
  'scheduled',
  'active_queues',
  'revoked',
  'query_task',
  'conf',
  'report',
  'clock',
] as const;

type InspectMethod = (typeof INSPECT_METHODS)[number];

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  destination: { type: 'string', short: 'd' },
  timeout: { type: 'string', short: 't' },
} as const;

/**
 * `celeriac inspect METHOD [--destination NAME[,NAME]] [--timeout S]`: broadcast a remote-control
 * query (Node and Python workers answer alike) and print `{nodename: reply}` as JSON. Exits 1
 * when no worker replied within the timeout (default 1 s, as in Celery).
 */
export const inspectCommand: CliCommand = {
  name: 'inspect',
  usage: `${INSPECT_METHODS.join('|')} [ID...] [--destination NAME[,NAME]] [--timeout SECONDS] ${CONNECTION_USAGE}`,
  summary: 'query workers over remote control and print their replies as JSON',
  async run(argv: string[], output: CliOutput): Promise<number> {
    const { values, positionals } = parseCommandArgs(argv, OPTIONS);
    const [name, ...ids] = positionals;
    const method = INSPECT_METHODS.find((m) => m === name);
    if (!method) throw new UsageError(`inspect needs one of: ${INSPECT_METHODS.join(', ')}`);
    if ((method === 'query_task') !== ids.length > 0) {
      throw new UsageError(
        method === 'query_task'
          ? 'inspect query_task needs one or more task ids'
          : `inspect ${method} takes no other argument`,
      );
    }
    const options: ControlCallOptions = {
      timeout:
        values.timeout === undefined ? 1000 : parseNumber(values.timeout, 'timeout', 0) * 1000,
      ...(values.destination ? { destination: values.destination.split(',').filter(Boolean) } : {}),
    };
    const brokerUrl = new CliSession(values).brokerUrl;
    await checkRedisReachable(brokerUrl);
    const client = await ControlClient.connect(brokerUrl);
    try {
      const replies = await ask(client, method, ids, options);
      if (Object.keys(replies).length === 0) {
        const broker = isSentinelUrl(brokerUrl) ? maskSentinelUrl(brokerUrl) : maskUrl(brokerUrl);
        throw new CliError(
          `no worker replied to inspect ${method} within ${options.timeout! / 1000} s on ` +
            `${broker}. Check that the workers run on this broker (--broker or ` +
            `CELERIAC_BROKER, the same URL and vhost or database)` +
            (options.destination ? ' and the --destination names' : '') +
            `, or give busy workers longer with --timeout.`,
        );
      }
      output.out(toJsonLine(replies));
      return 0;
    } finally {
      await client.close();
    }
  },
};

function ask(
  client: ControlClient,
  method: InspectMethod,
  ids: string[],
  options: ControlCallOptions,
): Promise<Record<string, unknown>> {
  switch (method) {
    case 'ping':
      return client.ping(options);
    case 'stats':
      return client.stats(options);
    case 'registered':
      return client.registered(options);
    case 'active':
      return client.active(options);
    case 'reserved':
      return client.reserved(options);
    case 'scheduled':
      return client.scheduled(options);
    case 'query_task':
      return client.inspect(method, { ids }, options);
    default:
      return client.inspect(method, {}, options);
  }
}
