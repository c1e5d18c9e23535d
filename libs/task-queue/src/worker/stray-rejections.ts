import type { Logger } from '@nestjs/common';
import { describeThrown } from '../protocol/thrown-value.js';
import { LOG_MESSAGE_CHARS, logCut, logStack } from '../utils/log-text.js';

/** Rejections logged per minute; the rest of that minute are counted, then reported as one line. */
const LOGGED_PER_MINUTE = 10;
const MINUTE_MS = 60_000;

interface Guard {
  listener: (reason: unknown) => void;
  users: number;
}

let guard: Guard | null = null;

/**
 * Keep a consuming worker process alive through a promise rejection nobody handled (a task
 * that starts `mailer.send()` without awaiting it): Node ends the process on one, which drops
 * every task in flight and, when the same task is delivered again, loops. Python's worker
 * outlives an exception in a thread a task started; this logs the rejection as an error with
 * its stack (at most 10 a minute, then a count) and goes on. Installed only while the process
 * has no `unhandledRejection` listener of its own: an application that registers one before
 * the worker starts keeps its own policy. Shared by every worker of the process; returns the
 * function that releases this worker's hold (the last one removes the listener).
 */
export function guardStrayRejections(logger: Logger): () => void {
  if (!guard) {
    if (process.listenerCount('unhandledRejection') > 0) return () => undefined;
    guard = { listener: strayRejectionLogger(logger), users: 0 };
    process.on('unhandledRejection', guard.listener);
  }
  const held = guard;
  held.users++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--held.users > 0 || guard !== held) return;
    process.off('unhandledRejection', held.listener);
    guard = null;
  };
}

function strayRejectionLogger(logger: Logger): (reason: unknown) => void {
  let windowStart = 0;
  let logged = 0;
  let skipped = 0;
  return (reason) => {
    const now = Date.now();
    if (now - windowStart >= MINUTE_MS) {
      if (skipped > 0) {
        logger.error(
          `${skipped} more unhandled promise rejection(s) in the last minute not logged.`,
        );
      }
      windowStart = now;
      logged = 0;
      skipped = 0;
    }
    if (++logged > LOGGED_PER_MINUTE) {
      skipped++;
      return;
    }
    const { name, message, stack } = describeThrown(reason);
    logger.error(
      `Unhandled promise rejection: ${name}: ${logCut(message, LOG_MESSAGE_CHARS)}. A promise nobody awaited ` +
        `or caught (often one a task started without await) rejected; the worker keeps ` +
        `running. Await it or add .catch() where the stack below points.`,
      stack === undefined ? undefined : logStack(stack, message),
    );
  };
}
