import { TaskTimeoutError } from '../errors/task-timeout.error.js';
import type { ResultBackend, TaskMeta } from '../contracts/result-backend.interface.js';
import { CliError, ExitCode } from './cli-error.js';

/**
 * Wait up to `timeoutMs` for the task to reach a ready state. Runs out with a CliError of
 * exit code 124 that names the task's last known state.
 */
export async function waitForTask(
  backend: ResultBackend,
  id: string,
  timeoutMs: number,
): Promise<TaskMeta> {
  try {
    return await backend.waitForReady(id, { timeout: timeoutMs });
  } catch (error) {
    if (!(error instanceof TaskTimeoutError)) throw error;
    const state = (await backend.get(id).catch(() => null))?.status ?? 'PENDING';
    throw new CliError(
      `timed out after ${timeoutMs / 1000} s waiting for task ${id} (state ${state})`,
      ExitCode.TIMEOUT,
    );
  }
}
