import {
  Body,
  Controller,
  HttpCode,
  Inject,
  Logger,
  Param,
  Post,
  Req,
  UseGuards,
} from '@nestjs/common';
import {
  type Broker,
  ControlClient,
  DeadLetters,
  deadLetterQueueOf,
  getBrokerToken,
  TaskClient,
} from 'celeriac';
import { DashboardAccessGuard } from './dashboard-access.guard.js';
import { DashboardRetryService } from './dashboard-retry.service.js';
import { DashboardWriteGuard } from './dashboard-write.guard.js';
import type { DashboardRequest } from './dashboard.options.js';
import { actionActor, confirmed, type ActionBody } from './dashboard-action.body.js';

/** The result of an action. @publicApi */
export interface ActionResult {
  ok: true;
  /** Messages moved or removed, or the replies of the workers. */
  count?: number;
  replies?: Record<string, unknown>;
  taskId?: string;
}

/**
 * The actions (docs/dashboard.md#actions). Each needs `{"confirm": true}` as a JSON body (a
 * plain HTML form cannot send one) and is logged with who did it. Read-only users get 403.
 */
@Controller('api')
@UseGuards(DashboardAccessGuard, DashboardWriteGuard)
export class DashboardActionsController {
  private readonly logger = new Logger('Dashboard');

  constructor(
    @Inject(getBrokerToken()) private readonly broker: Broker,
    private readonly tasks: TaskClient,
    private readonly control: ControlClient,
    private readonly deadLetters: DeadLetters,
    private readonly retries: DashboardRetryService,
  ) {}

  @Post('tasks/:id/revoke')
  @HttpCode(200)
  async revoke(
    @Param('id') id: string,
    @Body() body: ActionBody,
    @Req() request: DashboardRequest,
  ) {
    confirmed(body);
    const terminate = body.terminate === true;
    this.log(request, `${terminate ? 'terminate' : 'revoke'} task ${id}`);
    await this.tasks.revoke(id, { terminate });
    return { ok: true, taskId: id } satisfies ActionResult;
  }

  @Post('tasks/:id/retry')
  @HttpCode(200)
  async retry(@Param('id') id: string, @Body() body: ActionBody, @Req() request: DashboardRequest) {
    confirmed(body);
    this.log(request, `retry task ${id}`);
    const taskId = await this.retries.retry(id);
    return { ok: true, taskId } satisfies ActionResult;
  }

  @Post('queues/:queue/purge')
  @HttpCode(200)
  async purge(
    @Param('queue') queue: string,
    @Body() body: ActionBody,
    @Req() request: DashboardRequest,
  ) {
    confirmed(body);
    const count = await this.broker.purge(queue);
    this.log(request, `purge queue ${queue} (${count} message(s) removed)`);
    return { ok: true, count } satisfies ActionResult;
  }

  @Post('queues/:queue/dead-letters/redrive')
  @HttpCode(200)
  async redrive(
    @Param('queue') queue: string,
    @Body() body: ActionBody,
    @Req() request: DashboardRequest,
  ) {
    confirmed(body);
    const count = await this.deadLetters.redrive(queue);
    this.log(request, `redrive dead letters of ${queue} (${count} moved)`);
    return { ok: true, count } satisfies ActionResult;
  }

  @Post('queues/:queue/dead-letters/purge')
  @HttpCode(200)
  async purgeDeadLetters(
    @Param('queue') queue: string,
    @Body() body: ActionBody,
    @Req() request: DashboardRequest,
  ) {
    confirmed(body);
    const count = await this.broker.purge(deadLetterQueueOf(queue));
    this.log(request, `purge dead letters of ${queue} (${count} removed)`);
    return { ok: true, count } satisfies ActionResult;
  }

  @Post('workers/:hostname/ping')
  @HttpCode(200)
  async ping(
    @Param('hostname') hostname: string,
    @Body() body: ActionBody,
    @Req() request: DashboardRequest,
  ) {
    confirmed(body);
    this.log(request, `ping worker ${hostname}`);
    const replies = await this.control.ping({ destination: [hostname], timeout: 2000 });
    return { ok: true, replies } satisfies ActionResult;
  }

  @Post('workers/:hostname/shutdown')
  @HttpCode(200)
  async shutdown(
    @Param('hostname') hostname: string,
    @Body() body: ActionBody,
    @Req() request: DashboardRequest,
  ) {
    confirmed(body);
    this.log(request, `shut down worker ${hostname}`);
    await this.control.shutdown({ destination: [hostname] });
    return { ok: true } satisfies ActionResult;
  }

  private log(request: DashboardRequest, action: string): void {
    this.logger.log(`Dashboard action by ${actionActor(request)}: ${action}.`);
  }
}
