import type { Logger } from '@nestjs/common';
import { describeThrown } from '../protocol/thrown-value.js';
import { taskContextStorage } from '../tasks/task-context.storage.js';
import { LOG_MESSAGE_CHARS, logCut, logStack } from '../utils/log-text.js';

/**
 * Say which task ended the worker: an exception thrown outside a handler's promise (in a
 * timer or event callback the task started) ends the process, as Node ends any process on
 * one, and Node's own report names no task. This `uncaughtExceptionMonitor` listener changes
 * nothing to what happens next; it logs, before the process ends, the task whose callback
 * threw (the callback still runs in the task's context) and what to do. Returns the function
 * that removes it.
 */
export function watchUncaughtExceptions(logger: Logger): () => void {
  const listener = (error: unknown, origin: string): void => {
    if (origin !== 'uncaughtException') return;
    try {
      const request = taskContextStorage.getStore()?.request;
      const { name, message, stack } = describeThrown(error);
      const where = request
        ? `in task ${request.name}[${request.id}], outside its promise (in a timer or event ` +
          `callback it started)`
        : 'outside any task';
      const next =
        process.listenerCount('uncaughtException') > 0
          ? "The process's own uncaughtException listener decides what happens next."
          : 'Node ends the worker process now: the tasks it held go back to their queues.';
      logger.error(
        `Uncaught exception ${where}: ${name}: ${logCut(message, LOG_MESSAGE_CHARS)}. ${next} ` +
          `Catch errors inside such callbacks, or run the task in an isolate pool ` +
          `(pool: 'processes'), where only the task fails.`,
        stack === undefined ? undefined : logStack(stack, message),
      );
    } catch {
      // Logging must not add a second failure to the first.
    }
  };
  process.on('uncaughtExceptionMonitor', listener);
  return () => process.off('uncaughtExceptionMonitor', listener);
}
