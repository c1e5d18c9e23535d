import { timingSafeEqual } from 'node:crypto';
import { type CanActivate, type ExecutionContext, UnauthorizedException } from '@nestjs/common';

/** The cookie the dashboard page sends its token in (EventSource cannot send headers). */
export const DASHBOARD_COOKIE = 'celeriac_dashboard';

/** Roles the demo's tokens give. */
export type DashboardRole = 'admin' | 'read-only';

/** A request after the guard: the role of its token. */
export interface DashboardTokenRequest {
  headers: Record<string, string | string[] | undefined>;
  dashboardRole?: DashboardRole;
}

/**
 * The demo's dashboard guard: a bearer token (`Authorization: Bearer …`) or the
 * `celeriac_dashboard` cookie; the admin token may act, the read-only token may only look.
 * A real app uses its own authentication guard instead.
 */
export class DashboardTokenGuard implements CanActivate {
  constructor(private readonly tokens: { admin: string; readOnly?: string }) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<DashboardTokenRequest>();
    const token = bearer(request) ?? cookie(request, DASHBOARD_COOKIE);
    if (token && same(token, this.tokens.admin)) request.dashboardRole = 'admin';
    else if (token && this.tokens.readOnly && same(token, this.tokens.readOnly)) {
      request.dashboardRole = 'read-only';
    } else {
      throw new UnauthorizedException('A dashboard token is required.');
    }
    return true;
  }
}

/** The `readOnly` option that goes with the guard: only the admin token may act. */
export function readOnlyUnlessAdmin(request: object): boolean {
  return (request as DashboardTokenRequest).dashboardRole !== 'admin';
}

function bearer(request: DashboardTokenRequest): string | undefined {
  const header = request.headers.authorization;
  const value = Array.isArray(header) ? header[0] : header;
  return value?.startsWith('Bearer ') ? value.slice(7).trim() : undefined;
}

function cookie(request: DashboardTokenRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  for (const part of (Array.isArray(header) ? header.join(';') : (header ?? '')).split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
