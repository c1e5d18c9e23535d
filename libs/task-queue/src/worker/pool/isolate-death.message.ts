import type { IsolateMember, PendingTask } from './isolate-member.js';

/**
 * The worker's log line for an isolate that died unasked (a crash, an exit, out of memory):
 * what ended it, the tasks that end with WorkerLostError, or, when it ran none, the last task
 * it finished, whose leftover timer, promise or listener most likely killed it.
 */
export function isolateDeathMessage(kind: string, member: IsolateMember, detail: string): string {
  const running = member.inFlight.size;
  const what =
    running > 0
      ? `${running} task(s) on it end with WorkerLostError`
      : 'No task was running on it' +
        (member.lastTask
          ? ` (the last task it finished, ${member.lastTask}, may have left behind the timer, ` +
            `promise or listener that did it; that task's own result stands)`
          : '');
  return `A ${kind} isolate (${member.handle.id}) died: ${detail}. ${what}; it is replaced.`;
}

/** The worker's log line for an isolate it stops because of `pending` (`why` it does). */
export function isolateStopMessage(
  kind: string,
  member: IsolateMember,
  pending: PendingTask,
  why: string,
): string {
  const { name, id } = pending.task.request;
  const others = member.inFlight.size;
  return (
    `Task ${name}[${id}] ${why}: stopping its ${kind} isolate (${member.handle.id}); ` +
    (others ? `${others} other task(s) on it end with WorkerLostError; ` : '') +
    'a spare takes its place.'
  );
}
