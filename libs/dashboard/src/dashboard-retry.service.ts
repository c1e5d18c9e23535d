import { ConflictException, Inject, Injectable, Optional } from '@nestjs/common';
import { getResultBackendToken, type ResultBackend, TaskClient } from 'celeriac';

/**
 * Retry a failed task: send it again, as a new task with the same name and arguments. The
 * arguments come from the result backend (extended results keep them: `args` / `kwargs`);
 * events carry only their Python repr, which cannot be sent back.
 */
@Injectable()
export class DashboardRetryService {
  constructor(
    private readonly tasks: TaskClient,
    @Optional() @Inject(getResultBackendToken()) private readonly results?: ResultBackend | null,
  ) {}

  async retry(taskId: string): Promise<string> {
    const meta = await this.results?.get(taskId);
    if (!meta?.name || !Array.isArray(meta.args)) {
      throw new ConflictException(
        `Task ${taskId} cannot be retried from the dashboard: its name and arguments are not in ` +
          `the result backend (extended results are needed).`,
      );
    }
    const result = await this.tasks.send(meta.name, meta.args, meta.kwargs ?? {}, {
      queue: meta.queue ?? undefined,
    });
    return result.id;
  }
}
