import type { ScheduleStore, StoredSchedule } from '../contracts/schedule-store.interface.js';
import { TaskQueueError } from '../errors/task-queue.error.js';

/** Read-and-write rounds of one edit that keeps losing to concurrent writers, at most. */
const EDIT_ATTEMPTS = 20;

/**
 * Read schedule `name`, let `change` compute what to write from it (null: nothing), and write
 * that compare-and-set on the revision read. When a claim of the leader or another edit wrote
 * the schedule in between, read it again and recompute: neither change is lost. Resolves
 * what was written (null: nothing).
 */
export async function editSchedule(
  store: ScheduleStore,
  name: string,
  change: (current: StoredSchedule | null) => StoredSchedule | null,
): Promise<StoredSchedule | null> {
  let absentRefused = false;
  for (let attempt = 1; ; attempt++) {
    const current = await store.get(name);
    const next = change(current);
    if (!next) return null;
    const ifRev = current?.state.rev ?? 0;
    // Read as absent again after a create was refused: the store holds a row it cannot read
    // (stores skip unreadable JSON). Creating replaces it, as an add always did.
    const replace = !current && absentRefused;
    const saved = await store.save(next.definition, next.state, replace ? {} : { ifRev });
    if (saved) {
      const rev = replace ? next.state.rev : ifRev + 1;
      return { definition: next.definition, state: { ...next.state, rev } };
    }
    absentRefused = !current;
    if (attempt === EDIT_ATTEMPTS) {
      throw new TaskQueueError(
        `Schedule "${name}" changed ${EDIT_ATTEMPTS} times while being edited; try again.`,
      );
    }
    // Someone else wrote it meanwhile: back off a little (random), then start again.
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
  }
}
