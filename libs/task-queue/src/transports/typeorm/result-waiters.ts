import type { TaskMeta } from '../../contracts/result-backend.interface.js';

/** Waiters by task id, plus one shared poll timer that runs only while someone waits. */
export class ResultWaiters {
  private readonly byTask = new Map<string, Set<(meta: TaskMeta) => void>>();
  private timer?: NodeJS.Timeout;
  private polling = false;

  constructor(
    private readonly pollIntervalMs: number,
    /** Read the current metas of these task ids (missing ones are omitted). */
    private readonly load: (taskIds: string[]) => Promise<TaskMeta[]>,
  ) {}

  add(taskId: string, onMeta: (meta: TaskMeta) => void): () => void {
    let set = this.byTask.get(taskId);
    if (!set) this.byTask.set(taskId, (set = new Set()));
    set.add(onMeta);
    this.ensureTimer();
    return () => {
      set.delete(onMeta);
      if (set.size === 0) this.byTask.delete(taskId);
      if (this.byTask.size === 0) this.stopTimer();
    };
  }

  has(taskId: string): boolean {
    return this.byTask.has(taskId);
  }

  /** Re-read these tasks (all waited ones when omitted) and notify their waiters. */
  async refresh(taskIds: string[] = [...this.byTask.keys()]): Promise<void> {
    for (let i = 0; i < taskIds.length; i += 500) {
      for (const meta of await this.load(taskIds.slice(i, i + 500))) {
        for (const onMeta of [...(this.byTask.get(meta.task_id) ?? [])]) onMeta(meta);
      }
    }
  }

  clear(): void {
    this.byTask.clear();
    this.stopTimer();
  }

  private ensureTimer(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.polling) return;
      this.polling = true;
      this.refresh()
        .catch(() => undefined)
        .finally(() => (this.polling = false));
    }, this.pollIntervalMs);
    this.timer.unref();
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
