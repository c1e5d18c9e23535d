import type { Logger } from '@nestjs/common';
import type { RunningTask } from '../tasks/task-context.storage.js';
import { displayName } from '../tasks/task-events.js';
import { taskLogFields } from '../tasks/task-log-fields.js';

/**
 * Wait for the after-commit callbacks of the transactions a task committed (they may send its
 * children; their errors are theirs to log), and those they schedule in turn, as Django runs
 * `on_commit` callbacks inside the commit. Not past the task's hard time limit (`hardSeconds`
 * from `started`, a `performance.now()`): then the result is stored without them, and a
 * warning says whose callbacks are late.
 */
export async function afterCommitWork(
  running: RunningTask,
  hardSeconds: number | undefined,
  started: number,
  logger: Logger,
): Promise<void> {
  const all = settleAll(running.onCommitWork!);
  if (!hardSeconds) return all;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    const left = started + hardSeconds * 1000 - performance.now();
    timer = setTimeout(() => resolve(true), Math.max(0, left));
  });
  try {
    if (!(await Promise.race([all.then(() => false), late]))) return;
  } finally {
    clearTimeout(timer);
  }
  const request = running.request;
  logger.warn(
    `The after-commit callbacks of task ${displayName(request)}[${request.id}] were still ` +
      `running at its time limit (${hardSeconds} s): its result is stored without waiting for ` +
      'them, and what they send later is not listed in its children. Keep on-commit callbacks ' +
      'short (send tasks; do slow work in those tasks).',
    taskLogFields(request),
  );
}

/** Every promise of `work`, including ones added while waiting. */
async function settleAll(work: Promise<void>[]): Promise<void> {
  for (let done = 0; done < work.length;) {
    const pending = work.slice(done);
    done += pending.length;
    await Promise.all(pending);
  }
}
