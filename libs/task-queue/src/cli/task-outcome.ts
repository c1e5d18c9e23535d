import type { TaskMeta } from '../contracts/result-backend.interface.js';
import { TaskStates } from '../results/task-states.js';
import { ExitCode } from './cli-error.js';
import { textOf } from '../utils/log-text.js';

/** What `call --wait` and `result` print about a task, and how the CLI exits. */
export interface TaskOutcome {
  /** `{"id","state","result"[,"traceback"][,"date_done"]}`. */
  view: Record<string, unknown>;
  code: ExitCode;
  /** One-line reason for stderr when `code` is not OK. */
  reason?: string;
}

/** Describe a task's stored meta (null: PENDING). FAILURE and REVOKED exit with code 1. */
export function taskOutcome(id: string, meta: TaskMeta | null): TaskOutcome {
  const state = meta?.status ?? TaskStates.PENDING;
  const view: Record<string, unknown> = { id, state, result: meta?.result ?? null };
  if (meta?.date_done) view.date_done = meta.date_done;
  if (meta?.traceback) view.traceback = meta.traceback;
  if (state === TaskStates.FAILURE) {
    return { view, code: ExitCode.FAILURE, reason: `task ${id} failed: ${describeError(meta)}` };
  }
  if (state === TaskStates.REVOKED) {
    return {
      view,
      code: ExitCode.FAILURE,
      reason: `task ${id} was revoked: ${revokeReason(meta)}`,
    };
  }
  return { view, code: ExitCode.OK };
}

function describeError(meta: TaskMeta | null): string {
  const error = meta?.result as { exc_type?: unknown; exc_message?: unknown } | null;
  const type = typeof error?.exc_type === 'string' ? error.exc_type : 'Error';
  const message = Array.isArray(error?.exc_message)
    ? error.exc_message.map((arg) => textOf(arg)).join(', ')
    : textOf(error?.exc_message ?? '');
  return message ? `${type}: ${oneLine(message)}` : type;
}

function revokeReason(meta: TaskMeta | null): string {
  const error = meta?.result as { exc_message?: unknown } | null;
  const first: unknown = Array.isArray(error?.exc_message) ? error.exc_message[0] : undefined;
  return typeof first === 'string' ? first : 'revoked';
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}
