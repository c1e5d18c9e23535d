import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ResolvedTaskQueueOptions } from '../config/resolved-options.js';
import type { ScheduleDefinition, StoredSchedule } from '../contracts/schedule-store.interface.js';
import type { ResultBackend } from '../contracts/result-backend.interface.js';
import type { TaskOptions } from '../contracts/task-options.interface.js';
import { ConfigurationError } from '../errors/configuration.error.js';
import { describeThrownLine } from '../protocol/thrown-value.js';
import { TaskRegistry } from '../tasks/task.registry.js';
import { getResultBackendToken, getTaskQueueConfigToken } from '../utils/tokens.js';
import { BeatEvents } from './beat-events.js';
import {
  judgePreviousRun,
  overlapMisconfiguration,
  overlapTimeoutSeconds,
} from './overlap-decision.js';

/**
 * Overlap `skip`: refuses schedules whose previous run could never be seen finished (a local
 * task with `ignoreResult`, no result backend), and at fire time skips while the previous run
 * is unfinished, for at most the overlap timeout, so a lost run never stops a schedule.
 */
@Injectable()
export class OverlapGuard {
  private readonly logger = new Logger('Beat');
  /** Schedules already warned that this beat has no result backend (once each). */
  private readonly unchecked = new Set<string>();

  constructor(
    @Inject(getResultBackendToken()) private readonly backend: ResultBackend | null,
    @Inject(getTaskQueueConfigToken()) private readonly config: ResolvedTaskQueueOptions,
    private readonly registry: TaskRegistry,
    private readonly events: BeatEvents,
  ) {}

  /** Throws a ConfigurationError when overlap `skip` cannot work for `definition`. */
  assertUsable(definition: ScheduleDefinition, where = `schedule "${definition.name}"`): void {
    const problem = overlapMisconfiguration(
      definition,
      this.localTask(definition.task),
      this.backend !== null,
    );
    if (problem) throw new ConfigurationError(`${where}: ${problem}`);
  }

  /**
   * Whether the `count` due fires of `stored` are skipped because its previous run is still
   * unfinished (reported as a `skipped` event with reason `overlap`).
   */
  async blocks(stored: StoredSchedule, count: number, now: number): Promise<boolean> {
    const { definition, state } = stored;
    if (definition.overlap !== 'skip' || !state.lastTaskId) return false;
    const taskId = state.lastTaskId;
    const previous = await this.readState(definition.name, taskId);
    const timeout = overlapTimeoutSeconds(definition, this.localTask(definition.task));
    const verdict = judgePreviousRun({
      state: previous,
      publishedAt: state.lastRunAt,
      now,
      timeoutMs: timeout * 1000,
    });
    if (verdict === 'running') {
      this.events.emit({
        type: 'skipped',
        name: definition.name,
        count,
        reason: 'overlap',
        previous: { taskId, state: previous!, publishedAt: state.lastRunAt },
      });
      return true;
    }
    if (verdict === 'timed-out') {
      const age =
        state.lastRunAt === null
          ? 'an unknown time'
          : `${Math.round((now - state.lastRunAt) / 1000)}s`;
      this.logger.warn(
        `Schedule "${definition.name}": its previous run ${taskId} is still ${previous} ${age} ` +
          `after it was published, past its overlapTimeout (${timeout}s); counting it as finished ` +
          `and firing. A run that stays PENDING usually means "${definition.task}" ignores its ` +
          `result, runs where no result is stored, or its message was lost or revoked unrun: ` +
          `use overlap 'allow' for it; if runs really take this long, raise overlapTimeout.`,
      );
    }
    return false;
  }

  private async readState(name: string, taskId: string): Promise<string | null> {
    if (!this.backend) {
      if (!this.unchecked.has(name)) {
        this.unchecked.add(name);
        this.logger.warn(
          `Schedule "${name}" has overlap 'skip' but this beat has no result backend: it fires ` +
            `without the overlap check. Configure resultBackend in the beat's process.`,
        );
      }
      return null;
    }
    try {
      return (await this.backend.get(taskId))?.status ?? 'PENDING';
    } catch (error) {
      this.logger.warn(
        `Schedule "${name}": could not read the state of its previous run ${taskId} ` +
          `(${describeThrownLine(error)}); firing without the overlap check.`,
      );
      return null;
    }
  }

  private localTask(name: string): TaskOptions | undefined {
    const task = this.registry.get(name);
    return task ? { ...this.config.taskDefaults, ...task.options } : undefined;
  }
}
