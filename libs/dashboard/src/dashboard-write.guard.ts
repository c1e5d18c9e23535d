import {
  type CanActivate,
  type ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
} from '@nestjs/common';
import {
  DASHBOARD_OPTIONS,
  type DashboardRequest,
  type ResolvedDashboardOptions,
} from './dashboard.options.js';

/** Action endpoints: 403 for read-only users. */
@Injectable()
export class DashboardWriteGuard implements CanActivate {
  constructor(@Inject(DASHBOARD_OPTIONS) private readonly options: ResolvedDashboardOptions) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<DashboardRequest>();
    if (await this.options.readOnly(request)) {
      throw new ForbiddenException('This dashboard session is read-only.');
    }
    return true;
  }
}
