import {
  type CanActivate,
  type DynamicModule,
  Module,
  type Provider,
  type Type,
} from '@nestjs/common';
import { RouterModule } from '@nestjs/core';
import { DashboardAccessGuard } from './dashboard-access.guard.js';
import { DashboardActionsController } from './dashboard-actions.controller.js';
import { DashboardApiController } from './dashboard-api.controller.js';
import { DashboardPageController } from './dashboard-page.controller.js';
import { DashboardSchedulesController } from './dashboard-schedules.controller.js';
import { DashboardQueuesService } from './dashboard-queues.service.js';
import { DashboardRetryService } from './dashboard-retry.service.js';
import { DashboardStateService } from './dashboard-state.service.js';
import { DashboardStreamService } from './dashboard-stream.service.js';
import { DashboardWriteGuard } from './dashboard-write.guard.js';
import {
  DASHBOARD_GUARD,
  DASHBOARD_OPTIONS,
  resolveDashboardOptions,
  type TaskQueueDashboardOptions,
} from './dashboard.options.js';

/**
 * The monitoring dashboard, served by the app as Nest controllers (so the app's guards,
 * interceptors and global prefix apply): live workers, queues, tasks, charts and actions of
 * every Celery and Celeriac worker on the broker. Needs `TaskQueueModule` (it uses its broker).
 *
 * @example
 * TaskQueueDashboardModule.forRoot({ path: '/celeriac', guard: AdminGuard,
 *   readOnly: (req) => req.user?.role !== 'admin' })
 * @publicApi
 */
@Module({})
export class TaskQueueDashboardModule {
  /** Mount the dashboard at `options.path`; throws when neither a guard nor `public: true` is given. */
  static forRoot(options: TaskQueueDashboardOptions): DynamicModule {
    const resolved = resolveDashboardOptions(options);
    return {
      module: TaskQueueDashboardModule,
      imports: [RouterModule.register([{ path: resolved.path, module: TaskQueueDashboardModule }])],
      controllers: [
        DashboardPageController,
        DashboardApiController,
        DashboardActionsController,
        DashboardSchedulesController,
      ],
      providers: [
        { provide: DASHBOARD_OPTIONS, useValue: resolved },
        ...guardProviders(options.guard),
        DashboardAccessGuard,
        DashboardWriteGuard,
        DashboardStateService,
        DashboardStreamService,
        DashboardQueuesService,
        DashboardRetryService,
      ],
    };
  }
}

function guardProviders(guard?: Type<CanActivate> | CanActivate): Provider[] {
  if (!guard) return [];
  if (typeof guard === 'function') return [guard, { provide: DASHBOARD_GUARD, useExisting: guard }];
  return [{ provide: DASHBOARD_GUARD, useValue: guard }];
}
