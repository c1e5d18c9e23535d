import {
  Body,
  Controller,
  Get,
  HttpCode,
  Logger,
  NotFoundException,
  Optional,
  Param,
  Post,
  Req,
  UseGuards,
} from '@nestjs/common';
import { type ScheduleInfo, Schedules } from 'celeriac';
import { DashboardAccessGuard } from './dashboard-access.guard.js';
import { DashboardWriteGuard } from './dashboard-write.guard.js';
import { actionActor, confirmed, type ActionBody } from './dashboard-action.body.js';
import type { DashboardRequest } from './dashboard.options.js';

/** A schedule row of the schedules view. @publicApi */
export interface ScheduleRow {
  name: string;
  task: string;
  /** `cron 0 3 * * * (Europe/Berlin)`, `every 60 s`, `once at …`. */
  schedule: string;
  enabled: boolean;
  nextFireAt: string | null;
  lastRunAt: string | null;
  lastTaskId: string | null;
  totalRuns: number;
  /** ms the next fire is overdue (a beat that is down or behind), else 0. */
  lateness: number;
}

/** The schedules view (when the app imports `TaskQueueBeatModule`): list, pause, resume, trigger. */
@Controller('api/schedules')
@UseGuards(DashboardAccessGuard)
export class DashboardSchedulesController {
  private readonly logger = new Logger('Dashboard');

  constructor(@Optional() private readonly schedules?: Schedules) {}

  @Get()
  async list(): Promise<{ available: boolean; items: ScheduleRow[] }> {
    if (!this.schedules) return { available: false, items: [] };
    const now = Date.now();
    return { available: true, items: (await this.schedules.list()).map((s) => row(s, now)) };
  }

  @Post(':name/:action')
  @HttpCode(200)
  @UseGuards(DashboardWriteGuard)
  async act(
    @Param('name') name: string,
    @Param('action') action: string,
    @Body() body: ActionBody,
    @Req() request: DashboardRequest,
  ): Promise<{ ok: true; taskId?: string }> {
    confirmed(body);
    if (!this.schedules || !['pause', 'resume', 'trigger'].includes(action)) {
      throw new NotFoundException();
    }
    this.logger.log(`Dashboard action by ${actionActor(request)}: ${action} schedule ${name}.`);
    if (action === 'trigger') return { ok: true, taskId: await this.schedules.trigger(name) };
    await (action === 'pause' ? this.schedules.pause(name) : this.schedules.resume(name));
    return { ok: true };
  }
}

function row(info: ScheduleInfo, now: number): ScheduleRow {
  const spec = info.schedule;
  const schedule =
    'cron' in spec
      ? `cron ${spec.cron}${spec.tz ? ` (${spec.tz})` : ''}`
      : 'every' in spec
        ? `every ${spec.every / 1000} s`
        : `once at ${new Date(spec.at).toISOString()}`;
  const next = info.nextFireAt?.getTime() ?? null;
  return {
    name: info.name,
    task: info.task,
    schedule,
    enabled: info.enabled,
    nextFireAt: info.nextFireAt?.toISOString() ?? null,
    lastRunAt: info.lastRunAt?.toISOString() ?? null,
    lastTaskId: info.lastTaskId,
    totalRuns: info.totalRuns,
    lateness: next !== null && info.enabled ? Math.max(0, now - next) : 0,
  };
}
