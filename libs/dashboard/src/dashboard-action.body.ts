import { BadRequestException } from '@nestjs/common';
import type { DashboardRequest } from './dashboard.options.js';

/** Body of every action: `{ "confirm": true }` (and options), sent as JSON. */
export interface ActionBody {
  confirm?: unknown;
  terminate?: unknown;
}

/** 400 unless the body confirms the action (a plain HTML form cannot send JSON). */
export function confirmed(body: ActionBody | undefined): void {
  if (body?.confirm !== true) {
    throw new BadRequestException('Send {"confirm": true} as a JSON body to run an action.');
  }
}

/** Who is acting, for the log: the authenticated user's name or id, else the address. */
export function actionActor(request: DashboardRequest): string {
  const user = request.user;
  if (typeof user === 'object' && user !== null) {
    for (const key of ['username', 'name', 'email', 'id', 'sub']) {
      const value = user[key];
      if (typeof value === 'string' || typeof value === 'number') return String(value);
    }
  }
  return request.ip ?? 'unknown';
}
