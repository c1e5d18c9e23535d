import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import {
  type Broker,
  CeleryEventsReceiver,
  type ClusterChange,
  ClusterState,
  getBrokerToken,
  isReadyState,
  type TaskRecord,
} from 'celeriac';
import { Observable, share, type Subscription } from 'rxjs';
import { RedisDashboardHistory } from './dashboard-history.js';
import { DashboardMetrics } from './dashboard-metrics.js';
import { DASHBOARD_OPTIONS, type ResolvedDashboardOptions } from './dashboard.options.js';

const HISTORY_FLUSH_MS = 1_000;
const HISTORY_KEY = 'celeriac:dashboard:history';

/**
 * The dashboard's view of the cluster: a bounded {@link ClusterState} fed by the Celery events
 * of every worker on the broker, the per-second chart series, and the history store that
 * keeps finished tasks across restarts.
 */
@Injectable()
export class DashboardStateService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Dashboard');
  readonly state: ClusterState;
  readonly metrics = new DashboardMetrics();
  /** Every change, shared by all streams. */
  readonly changes$: Observable<ClusterChange>;
  private readonly subscriptions: Subscription[] = [];
  private history?: RedisDashboardHistory;
  private finished = new Map<string, TaskRecord>();
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(DASHBOARD_OPTIONS) private readonly options: ResolvedDashboardOptions,
    @Inject(getBrokerToken()) private readonly broker: Broker,
    private readonly receiver: CeleryEventsReceiver,
  ) {
    this.state = new ClusterState({ maxTasks: options.maxTasks });
    this.changes$ = this.state.changes$.pipe(share());
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.openHistory();
    this.subscriptions.push(
      this.receiver.events$.subscribe({
        next: (event) => this.metrics.record(this.state.apply(event)),
        error: (error: Error) =>
          this.logger.warn(`The dashboard receives no Celery events: ${error.message}`),
      }),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    clearInterval(this.timer);
    await this.flushHistory();
    await this.history?.close();
  }

  private async openHistory(): Promise<void> {
    const options = this.options.history;
    if (options === false) return;
    const url = options.redis ?? brokerRedisUrl(this.broker);
    if (!url) return;
    try {
      const size = options.size ?? this.options.maxTasks;
      this.history = await RedisDashboardHistory.open(url, options.key ?? HISTORY_KEY, size);
      this.state.restore(await this.history.load());
    } catch (error) {
      this.logger.warn(`Dashboard history is off: ${(error as Error).message}`);
      await this.history?.close();
      this.history = undefined;
      return;
    }
    this.subscriptions.push(
      this.state.changes$.subscribe(({ task }) => {
        if (task && (isReadyState(task.state) || task.state === 'REJECTED')) {
          this.finished.set(task.uuid, task);
        }
      }),
    );
    this.timer = setInterval(() => void this.flushHistory(), HISTORY_FLUSH_MS);
    this.timer.unref();
  }

  private async flushHistory(): Promise<void> {
    if (!this.history || this.finished.size === 0) return;
    const batch = [...this.finished.values()];
    this.finished = new Map();
    await this.history
      .append(batch)
      .catch((error: Error) =>
        this.logger.warn(
          `Could not save ${batch.length} task(s) to the dashboard history: ${error.message}`,
        ),
      );
  }
}

/** The broker's Redis URL (Celery's `redis://` / `rediss://` broker), if it is one. */
function brokerRedisUrl(broker: Broker): string | undefined {
  if (broker.transport !== 'redis') return undefined;
  // NOTE: RedisBroker keeps its URL private; celeriac's own transport factory reads it this way too.
  const url = (broker as unknown as { url?: unknown }).url;
  return typeof url === 'string' ? url : undefined;
}
