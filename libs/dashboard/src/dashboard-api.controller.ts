import {
  Controller,
  Get,
  Header,
  Inject,
  type MessageEvent,
  BadGatewayException,
  NotFoundException,
  Optional,
  Param,
  Query,
  Req,
  Sse,
  UseGuards,
} from '@nestjs/common';
import { getResultBackendToken, type ResultBackend, type TaskRecord } from 'celeriac';
import type { Observable } from 'rxjs';
import { DashboardAccessGuard } from './dashboard-access.guard.js';
import {
  DashboardQueuesService,
  type QueueInfo,
  type WorkerDetails,
} from './dashboard-queues.service.js';
import { DashboardStateService } from './dashboard-state.service.js';
import { DashboardStreamService } from './dashboard-stream.service.js';
import type { DashboardSeries } from './dashboard-metrics.js';
import {
  DASHBOARD_OPTIONS,
  type DashboardRequest,
  type ResolvedDashboardOptions,
} from './dashboard.options.js';
import { parseTaskQuery, type TaskQueryParams } from './task-query.params.js';
import { taskFromMeta } from './task-from-meta.js';
import { isLongField, taskDetail, type TaskDetail } from './task-detail.js';
import { taskSummary, type TaskSummary } from './task-summary.js';

/** What the page needs to know about the viewer and the server. @publicApi */
export interface DashboardSession {
  readOnly: boolean;
  title: string;
  now: number;
}

/** The JSON API and the live stream (docs/dashboard.md#json-api). */
@Controller('api')
@UseGuards(DashboardAccessGuard)
export class DashboardApiController {
  constructor(
    @Inject(DASHBOARD_OPTIONS) private readonly options: ResolvedDashboardOptions,
    private readonly dashboard: DashboardStateService,
    private readonly stream: DashboardStreamService,
    private readonly queuesService: DashboardQueuesService,
    @Optional() @Inject(getResultBackendToken()) private readonly results?: ResultBackend | null,
  ) {}

  @Get('session')
  async session(@Req() request: DashboardRequest): Promise<DashboardSession> {
    return {
      readOnly: await this.options.readOnly(request),
      title: this.options.title,
      now: Date.now(),
    };
  }

  @Get('workers')
  workers() {
    return this.dashboard.state.workerList();
  }

  /** Pool, concurrency and queues per worker (remote control, asked now: up to 0.5 s). */
  @Get('workers/details')
  workerDetails(): Promise<Record<string, WorkerDetails>> {
    return this.queuesService.workerDetails();
  }

  @Get('queues')
  queues(): Promise<QueueInfo[]> {
    return this.queuesService.list();
  }

  @Get('tasks')
  tasks(@Query() params: TaskQueryParams): { total: number; items: TaskSummary[] } {
    const page = this.dashboard.state.search(parseTaskQuery(params));
    return { total: page.total, items: page.items.map(taskSummary) };
  }

  /** One task, long fields cut (`truncated` has their full sizes; docs/dashboard.md#json-api). */
  @Get('tasks/:id')
  async task(@Param('id') id: string): Promise<TaskDetail> {
    return taskDetail(await this.findTask(id));
  }

  /** One field of a task, whole, as plain text (never rendered as markup by a browser). */
  @Get('tasks/:id/fields/:field')
  @Header('Content-Type', 'text/plain; charset=utf-8')
  @Header('X-Content-Type-Options', 'nosniff')
  @Header('Content-Security-Policy', "default-src 'none'; sandbox")
  @Header('Cache-Control', 'no-store')
  async taskField(@Param('id') id: string, @Param('field') field: string): Promise<string> {
    if (!isLongField(field))
      throw new NotFoundException(`No field ${field}: args, kwargs, result, exception, traceback.`);
    const text = (await this.findTask(id))[field];
    if (text === null) throw new NotFoundException(`Task ${id} has no ${field}.`);
    return text;
  }

  /** A task from the live state, else from the result backend. */
  private async findTask(id: string): Promise<TaskRecord> {
    const live = this.dashboard.state.task(id);
    if (live) return live;
    // A stored value another program wrote that cannot be read: say so, not "no task".
    const meta = await this.results?.get(id).catch((error: Error) => {
      throw new BadGatewayException(`Task ${id}: ${error.message}`);
    });
    if (!meta) throw new NotFoundException(`No task ${id} in the dashboard or the result backend.`);
    return taskFromMeta(meta);
  }

  @Get('series')
  series(@Query('seconds') seconds?: string): DashboardSeries {
    const n = Number(seconds);
    return this.dashboard.metrics.series(Date.now(), Number.isFinite(n) && n > 0 ? n : 300);
  }

  /** Server-sent events: coalesced deltas at most every 100 ms. */
  @Sse('stream')
  live(): Observable<MessageEvent> {
    return this.stream.deltas$;
  }
}
