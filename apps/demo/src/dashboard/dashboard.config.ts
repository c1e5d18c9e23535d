import { randomBytes } from 'node:crypto';
import type { TaskQueueDashboardOptions } from '@celeriac/dashboard';
import { DashboardTokenGuard, readOnlyUnlessAdmin } from './dashboard-token.guard.js';

/** The demo's dashboard tokens: DASHBOARD_TOKEN (admin) or a random one logged at start. */
export interface DashboardTokens {
  admin: string;
  readOnly?: string;
  /** True when the admin token was generated (and must be shown to the user). */
  generated: boolean;
}

export function dashboardTokens(env: NodeJS.ProcessEnv = process.env): DashboardTokens {
  return {
    admin: env.DASHBOARD_TOKEN || randomBytes(18).toString('base64url'),
    readOnly: env.DASHBOARD_READONLY_TOKEN || undefined,
    generated: !env.DASHBOARD_TOKEN,
  };
}

/** The dashboard at /celeriac behind the token guard; the read-only token may only look. */
export function dashboardConfig(tokens: DashboardTokens): TaskQueueDashboardOptions {
  return {
    path: '/celeriac',
    guard: new DashboardTokenGuard(tokens),
    readOnly: readOnlyUnlessAdmin,
    queues: ['celery', 'notifications'],
    title: 'Celeriac demo',
  };
}
