import type { TaskRecord } from 'celeriac';

/** A task row of the list and the stream: the record without the long fields. @publicApi */
export type TaskSummary = Omit<TaskRecord, 'traceback' | 'children' | 'kwargs'> & {
  childCount: number;
};

const MAX_TEXT = 200;

/** The list row of a task: long reprs cut to 200 characters, traceback left out. */
export function taskSummary(task: TaskRecord): TaskSummary {
  const { traceback: _traceback, children, kwargs: _kwargs, ...rest } = task;
  return {
    ...rest,
    args: cut(task.args),
    result: cut(task.result),
    exception: cut(task.exception),
    childCount: children.length,
  };
}

function cut(text: string | null): string | null {
  return text !== null && text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text;
}
