import type { TaskMessage } from '../contracts/task-message.interface.js';
import { createTaskMessage } from '../protocol/task-message.factory.js';
import {
  CONNECTION_OPTIONS,
  CONNECTION_USAGE,
  parseCommandArgs,
  parseDate,
  parseInteger,
  parseJsonArray,
  parseJsonObject,
  parseNumber,
  parseWait,
} from './cli-args.js';
import type { CliCommand } from './cli-command.js';
import { UsageError } from './cli-error.js';
import { toJsonLine, type CliOutput } from './cli-output.js';
import { CliSession } from './cli-session.js';
import { taskOutcome } from './task-outcome.js';
import { waitForTask } from './wait-for-task.js';

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  args: { type: 'string' },
  kwargs: { type: 'string' },
  queue: { type: 'string', default: 'celery' },
  countdown: { type: 'string' },
  eta: { type: 'string' },
  expires: { type: 'string' },
  priority: { type: 'string' },
  wait: { type: 'string' },
} as const;

/** The message and queue a `call` command line describes. */
export interface CallRequest {
  message: TaskMessage;
  queue: string;
  priority: number;
  waitMs?: number;
}

/**
 * Build the protocol v2 message of a `call` command line, as Python's `send_task` would:
 * countdown becomes an absolute `eta`, a number of seconds of `expires` an absolute instant.
 */
export function buildCallRequest(
  name: string,
  values: {
    args?: string;
    kwargs?: string;
    queue: string;
    countdown?: string;
    eta?: string;
    expires?: string;
    priority?: string;
    wait?: string;
  },
  replyTo?: string,
  now = Date.now(),
): CallRequest {
  if (values.countdown !== undefined && values.eta !== undefined) {
    throw new UsageError('give either --countdown or --eta, not both');
  }
  const eta =
    values.eta !== undefined
      ? parseDate(values.eta, 'eta')
      : values.countdown !== undefined
        ? new Date(now + parseNumber(values.countdown, 'countdown', 0) * 1000)
        : null;
  const expires =
    values.expires === undefined
      ? null
      : /^-?[\d.]+$/.test(values.expires)
        ? new Date(now + parseNumber(values.expires, 'expires') * 1000)
        : parseDate(values.expires, 'expires');
  const priority =
    values.priority === undefined ? 0 : parseInteger(values.priority, 'priority', 0, 9);
  if (!values.queue) throw new UsageError('--queue must not be empty');
  const message = createTaskMessage({
    name,
    args: parseJsonArray(values.args, 'args'),
    kwargs: parseJsonObject(values.kwargs, 'kwargs'),
    eta,
    expires,
    priority,
    replyTo,
  });
  return { message, queue: values.queue, priority, waitMs: parseWait(values.wait) };
}

/** `celeriac call TASK ...`: publish a task by name; print its id (and, with --wait, its outcome). */
export const callCommand: CliCommand = {
  name: 'call',
  usage:
    'TASK [--args JSON] [--kwargs JSON] [--queue Q] [--countdown S | --eta ISO] [--expires S|ISO] ' +
    `[--priority 0-9] [--wait SECONDS] ${CONNECTION_USAGE}`,
  summary: 'send a task by name and print its id; --wait also prints its final state and result',
  async run(argv: string[], output: CliOutput): Promise<number> {
    const { values, positionals } = parseCommandArgs(argv, OPTIONS);
    if (positionals.length !== 1) throw new UsageError('call needs exactly one TASK name');
    const session = new CliSession(values);
    try {
      // Validate the command line before connecting anywhere.
      const probe = buildCallRequest(positionals[0], values);
      const backend = probe.waitMs !== undefined ? await session.getBackend() : null;
      const request = backend?.replyTo
        ? buildCallRequest(positionals[0], values, backend.replyTo)
        : probe;
      const broker = await session.getBroker();
      await broker.publish(request.message, { queue: request.queue, priority: request.priority });
      const id = request.message.headers.id;
      output.out(id);
      if (!backend || request.waitMs === undefined) return 0;
      const outcome = taskOutcome(id, await waitForTask(backend, id, request.waitMs));
      output.out(toJsonLine(outcome.view));
      if (outcome.reason) output.err(`celeriac: ${outcome.reason}`);
      return outcome.code;
    } finally {
      await session.close();
    }
  },
};
