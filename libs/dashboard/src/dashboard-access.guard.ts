import {
  type CanActivate,
  type ExecutionContext,
  Inject,
  Injectable,
  Optional,
} from '@nestjs/common';
import { isObservable, lastValueFrom } from 'rxjs';
import { DASHBOARD_GUARD } from './dashboard.options.js';

/** Runs the guard given in the options on every dashboard route (none with `public: true`). */
@Injectable()
export class DashboardAccessGuard implements CanActivate {
  constructor(@Optional() @Inject(DASHBOARD_GUARD) private readonly guard?: CanActivate) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (!this.guard) return true;
    const allowed = this.guard.canActivate(context);
    return isObservable(allowed) ? lastValueFrom(allowed) : allowed;
  }
}
