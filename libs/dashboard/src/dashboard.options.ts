import type { CanActivate, Type } from '@nestjs/common';
import { ConfigurationError } from 'celeriac';
import type { DashboardHistoryOptions } from './dashboard-history.js';

/** The HTTP request as the dashboard sees it (whatever the platform adds is kept). */
export type DashboardRequest = Record<string, unknown> & {
  url?: string;
  originalUrl?: string;
  ip?: string;
  /** What an authentication guard (Passport) set: `request.user?.role` reads a field. */
  user?: Record<string, unknown>;
};

/**
 * Options of {@link TaskQueueDashboardModule.forRoot}.
 * @publicApi
 */
export interface TaskQueueDashboardOptions {
  /** Where the page and its JSON API are mounted (below any global prefix). Default `/celeriac`. */
  path?: string;
  /**
   * A Nest guard (class or instance) every dashboard route runs, after the app's global
   * guards. Required unless {@link public} is true.
   */
  guard?: Type<CanActivate> | CanActivate;
  /** Serve without a guard of its own (the app's global guards still apply). Must be explicit. */
  public?: boolean;
  /**
   * Read-only access: `true` for everyone, or per request (a role check). Read-only users see
   * no actions and the action endpoints answer 403.
   */
  readOnly?: boolean | ((request: DashboardRequest) => boolean | Promise<boolean>);
  /** Tasks kept in memory (least recently updated dropped first). Default 10,000. */
  maxTasks?: number;
  /** Queues always shown besides those the workers consume. Default `['celery']`. */
  queues?: string[];
  /** Page title. Default `Celeriac`. */
  title?: string;
  /**
   * Keep finished tasks in a capped Redis list so the history survives restarts. Default: on
   * when the broker is Redis (same server and database); `false` turns it off.
   */
  history?: DashboardHistoryOptions | false;
}

/** DI token of the options. */
export const DASHBOARD_OPTIONS = Symbol('CeleriacDashboardOptions');
/** DI token of the guard given in the options. */
export const DASHBOARD_GUARD = Symbol('CeleriacDashboardGuard');

/** Options with defaults filled in. */
export interface ResolvedDashboardOptions {
  path: string;
  readOnly: (request: DashboardRequest) => boolean | Promise<boolean>;
  maxTasks: number;
  queues: string[];
  title: string;
  history: DashboardHistoryOptions | false;
}

/** Check the options and fill in defaults; a dashboard with no guard does not start. */
export function resolveDashboardOptions(
  options: TaskQueueDashboardOptions,
): ResolvedDashboardOptions {
  if (!options.guard && options.public !== true) {
    throw new ConfigurationError(
      'TaskQueueDashboardModule needs a guard: pass `guard: YourAuthGuard`, or `public: true` ' +
        'if the app protects the dashboard path by other means (a global guard, a private network).',
    );
  }
  if (options.guard && options.public === true) {
    throw new ConfigurationError(
      'TaskQueueDashboardModule: give either `guard` or `public: true`, not both.',
    );
  }
  const readOnly = options.readOnly ?? false;
  const path = `/${(options.path ?? '/celeriac').replace(/^\/+|\/+$/g, '')}`;
  return {
    path,
    readOnly: typeof readOnly === 'function' ? readOnly : () => readOnly,
    maxTasks: options.maxTasks ?? 10_000,
    queues: options.queues ?? ['celery'],
    title: options.title ?? 'Celeriac',
    history: options.history ?? {},
  };
}
