import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { CeleryEventsReceiver, type ClusterChange, ClusterState } from 'celeriac';
import { Observable, share, type Subscription } from 'rxjs';
import { DashboardMetrics } from './dashboard-metrics.js';
import { DASHBOARD_OPTIONS, type ResolvedDashboardOptions } from './dashboard.options.js';

/**
 * The dashboard's view of the cluster: a bounded {@link ClusterState} fed by the Celery events
 * of every worker on the broker, plus the per-second chart series.
 */
@Injectable()
export class DashboardStateService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Dashboard');
  readonly state: ClusterState;
  readonly metrics = new DashboardMetrics();
  /** Every change, shared by all streams. */
  readonly changes$: Observable<ClusterChange>;
  private subscription?: Subscription;

  constructor(
    @Inject(DASHBOARD_OPTIONS) options: ResolvedDashboardOptions,
    private readonly receiver: CeleryEventsReceiver,
  ) {
    this.state = new ClusterState({ maxTasks: options.maxTasks });
    this.changes$ = this.state.changes$.pipe(share());
  }

  onApplicationBootstrap(): void {
    this.subscription = this.receiver.events$.subscribe({
      next: (event) => this.metrics.record(this.state.apply(event)),
      error: (error: Error) =>
        this.logger.warn(`The dashboard receives no Celery events: ${error.message}`),
    });
  }

  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
  }
}
