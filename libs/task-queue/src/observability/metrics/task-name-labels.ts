import type { TaskEventType } from '../../tasks/task-events.js';

/** The `name` label of task series whose task name is not known (see {@link TaskNameLabels}). */
export const UNKNOWN_TASK_LABEL = 'unknown';

/** Default of `TaskQueueMetricsOptions.maxTaskNames`. */
export const DEFAULT_MAX_TASK_NAMES = 500;

/** Events that show a task of that name exists: a worker started it, or it succeeded. */
const VOUCHING: ReadonlySet<TaskEventType> = new Set<TaskEventType>([
  'task-started',
  'task-succeeded',
]);

/**
 * The `name` label of a task event, bounded: a producer sending random task names (hostile or
 * buggy) must not create series without limit. A name is its own label when it is known
 * (registered in this app, or listed in `taskNames`), or once learned: from an event showing a
 * worker ran it (`task-started` / `task-succeeded`, Python workers' included), or from a send
 * of this process, or with `events` counting a `task-sent` event or a Celery worker's `task-received`. At most `limit` names are learned; every other name
 * shares the label `unknown`.
 */
export class TaskNameLabels {
  private readonly learned = new Set<string>();
  private full = false;

  constructor(
    private readonly known: (name: string) => boolean,
    private readonly limit: number,
    /** Events of these types vouch for their name too (`task-sent` when counting locally). */
    private readonly alsoVouching: ReadonlySet<TaskEventType>,
    /** Called once, when the first name is refused because `limit` names are learned. */
    private readonly onFull: (limit: number) => void,
  ) {}

  label(name: string, type: TaskEventType): string {
    if (this.learned.has(name) || this.known(name)) return name;
    if (!VOUCHING.has(type) && !this.alsoVouching.has(type)) return UNKNOWN_TASK_LABEL;
    return this.learn(name);
  }

  /** Learn `name` (a name this process is sending), within the limit: its label. */
  learn(name: string): string {
    if (this.learned.has(name) || this.known(name)) return name;
    if (this.learned.size >= this.limit) {
      if (!this.full) this.onFull(this.limit);
      this.full = true;
      return UNKNOWN_TASK_LABEL;
    }
    this.learned.add(name);
    return name;
  }
}
