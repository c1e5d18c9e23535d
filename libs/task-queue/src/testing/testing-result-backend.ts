import type { TaskMeta, WaitOptions } from '../contracts/result-backend.interface.js';
import { TaskTimeoutError } from '../errors/task-timeout.error.js';
import { MemoryResultBackend } from '../transports/memory/memory.result-backend.js';

const ADVICE =
  'Under TaskQueueTestingModule no worker consumes: tasks run only inside ' +
  'TaskQueueTester.runUntilIdle(). Start the call without awaiting it, run the tasks, then ' +
  'await it (see "Testing your tasks" in docs/testing.md).';

/**
 * The testing module's result backend: the memory backend, whose wait timeout says why a
 * result never comes in a test (the test awaited a call that waits for its own task's result
 * before running the recorded tasks).
 */
export class TestingResultBackend extends MemoryResultBackend {
  override async waitForReady(taskId: string, options: WaitOptions = {}): Promise<TaskMeta> {
    try {
      return await super.waitForReady(taskId, options);
    } catch (error) {
      if (!(error instanceof TaskTimeoutError) || error.backendSilent) throw error;
      throw new TaskTimeoutError(taskId, error.timeoutMs, false, ADVICE);
    }
  }
}
