import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Subscription } from 'rxjs';
import type { ResolvedTaskQueueOptions } from '../../config/resolved-options.js';
import type { Broker } from '../../contracts/broker.interface.js';
import { ConfigurationError } from '../../errors/configuration.error.js';
import { TaskEvents } from '../../tasks/task-events.js';
import {
  PUBLISH_INSTRUMENTATION,
  type SentReportingInstrumentation,
} from '../../tasks/sent-reporting.instrumentation.js';
import { getBrokerToken, getTaskQueueConfigToken } from '../../utils/tokens.js';
import { WorkerService } from '../../worker/worker.service.js';
import type { MetricsExposition } from '../http/metrics-exposition.js';
import {
  DEFAULT_BUCKETS,
  DEFAULT_QUEUE_STATS_TIMEOUT,
  type TaskQueueMetricsOptions,
} from './metrics.options.js';
import { QueueMetrics } from './queue-metrics.js';
import { ClusterEvents } from './cluster-events.js';
import { CeleryEventsReceiver } from '../../monitoring/celery-events/celery-events.receiver.js';
import { QueueSnapshot } from './queue-snapshot.js';
import { COUNTED_TYPES, TaskMetrics } from './task-metrics.js';
import { WorkerMetrics } from './worker-metrics.js';
import { DEFAULT_MAX_TASK_NAMES, TaskNameLabels, UNKNOWN_TASK_LABEL } from './task-name-labels.js';
import { TaskRegistry } from '../../tasks/task.registry.js';
import { DeadLetterMetrics } from './dead-letter-metrics.js';
import { DeadLetters } from '../../worker/dead-letters.js';
import { OutboxMetrics } from './outbox-metrics.js';
import { BeatMetrics } from './beat-metrics.js';
import { BeatEvents } from '../../beat/beat-events.js';
import { BeatService } from '../../beat/beat.service.js';

/** Injection token of the options given to `TaskQueueMetricsModule.forRoot()`. */
export const TASK_QUEUE_METRICS_OPTIONS = Symbol('celeriac:metrics-options');

/**
 * The module's Prometheus metrics on one prom-client registry: task counters and histograms,
 * queue gauges (one broker round trip per scrape), this worker's slots, the outbox backlog
 * (one query per scrape, outbox mode only). Created only when
 * `TaskQueueMetricsModule` is imported: without it nothing is counted anywhere.
 * @publicApi
 */
@Injectable()
export class TaskQueueMetrics
  implements
    MetricsExposition,
    OnModuleInit,
    OnApplicationBootstrap,
    OnModuleDestroy,
    OnApplicationShutdown
{
  readonly registry: Registry;
  private readonly logger = new Logger('TaskQueueMetrics');
  private untap?: () => void;
  private unlearn?: () => void;
  private cluster?: ClusterEvents;
  private clusterSubscription?: Subscription;
  private beat?: BeatMetrics;
  private deadLetterMetrics?: DeadLetterMetrics;
  /** Names this instance registered, removed when the app closes. */
  private registered: string[] = [];

  constructor(
    @Inject(TASK_QUEUE_METRICS_OPTIONS) private readonly options: TaskQueueMetricsOptions,
    @Inject(getTaskQueueConfigToken()) private readonly config: ResolvedTaskQueueOptions,
    @Inject(getBrokerToken()) private readonly broker: Broker,
    private readonly events: TaskEvents,
    private readonly worker: WorkerService,
    private readonly receiver: CeleryEventsReceiver,
    private readonly deadLetters: DeadLetters,
    private readonly moduleRef: ModuleRef,
    private readonly tasks: TaskRegistry,
    @Inject(PUBLISH_INSTRUMENTATION) private readonly publishing: SentReportingInstrumentation,
  ) {
    this.registry = options.registry ?? new Registry();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text of one scrape. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  /** The queues whose gauges are exported. */
  get queues(): string[] {
    if (this.options.queues) return [...new Set(this.options.queues)];
    const c = this.config;
    return [
      ...new Set([
        ...c.worker.queues,
        c.defaultQueue,
        ...c.routes.flatMap((r) => (r.route.queue ? [r.route.queue] : [])),
      ]),
    ];
  }

  /**
   * Register every metric. On a registry that already holds one of the same name (another app
   * of this process given the same registry), nothing is left registered and the error says
   * what to do.
   */
  onModuleInit(): void {
    const registry = this.registry;
    const before = new Set(registry.getMetricsAsArray().map((metric) => metric.name));
    const added = () =>
      registry
        .getMetricsAsArray()
        .map((metric) => metric.name)
        .filter((name) => !before.has(name));
    try {
      this.register(registry);
    } catch (error) {
      for (const name of added()) registry.removeSingleMetric(name);
      const message = (error as Error).message;
      if (!/already been registered/.test(message)) throw error;
      throw new ConfigurationError(
        `TaskQueueMetricsModule: the registry already holds Celeriac's metrics (${message}) - ` +
          `another app of this process registered them. Give each app its own registry (the ` +
          `default: each serves its own /metrics or worker.http port).`,
      );
    }
    this.registered = added();
  }

  private register(registry: Registry): void {
    if (this.options.defaultMetrics) collectDefaultMetrics({ register: registry });
    const queues = this.queues;
    if (queues.length) {
      const timeout = this.options.queueStatsTimeout ?? DEFAULT_QUEUE_STATS_TIMEOUT;
      if (!(timeout > 0) || !Number.isFinite(timeout)) {
        throw new ConfigurationError(
          `TaskQueueMetricsModule: queueStatsTimeout must be a positive number of milliseconds ` +
            `(below Prometheus' scrape_timeout), got ${String(timeout)}.`,
        );
      }
      new QueueMetrics(registry, new QueueSnapshot(this.broker, queues, timeout));
    }
    if (this.config.worker.enabled) {
      new WorkerMetrics(registry, this.worker);
      this.deadLetterMetrics = new DeadLetterMetrics(registry, this.deadLetters);
    }
    const typeorm = this.config.typeorm;
    if (typeorm?.dispatch === 'outbox') new OutboxMetrics(registry, typeorm.dataSource);
    this.beat = this.beatMetrics(registry);
    const tasks = this.options.tasks ?? 'local';
    if (tasks === false) return;
    const labels = this.taskNameLabels(tasks);
    // Learned before the publish, not at task-sent: a worker here may fail the message first.
    this.unlearn = this.publishing.onSending((name) => labels.learn(name));
    const metrics = new TaskMetrics(registry, this.options.buckets ?? DEFAULT_BUCKETS, labels);
    if (tasks === 'local') {
      this.untap = this.events.tap(COUNTED_TYPES, (event) => metrics.record(event));
    } else {
      const cluster = new ClusterEvents(registry, (event) => metrics.record(event));
      this.cluster = cluster;
      this.untap = this.events.tap(['task-sent'], (event) => cluster.sent(event));
    }
  }

  /** The bounded `name` label of task series (see TaskNameLabels). */
  private taskNameLabels(tasks: 'local' | 'events'): TaskNameLabels {
    const listed = new Set(this.options.taskNames ?? []);
    const limit = this.options.maxTaskNames ?? DEFAULT_MAX_TASK_NAMES;
    return new TaskNameLabels(
      (name) => listed.has(name) || this.tasks.get(name) !== undefined,
      limit,
      // This process's own sends (and, with events, Python producers' task-sent events, sent
      // only with task_send_sent_event). From events: Celery sends task-received only for a
      // task registered on that worker (an unknown one gets task-failed, NotRegistered).
      new Set(tasks === 'local' ? ['task-sent'] : ['task-sent', 'task-received']),
      () =>
        this.logger.warn(
          `Task metrics: ${limit} task names learned from events (maxTaskNames); further ` +
            `unknown names are counted as name="${UNKNOWN_TASK_LABEL}". A producer may be ` +
            `sending random task names; list real ones in taskNames or raise maxTaskNames.`,
        ),
    );
  }

  /** Beat metrics when `TaskQueueBeatModule` runs in this process (found wherever it is imported). */
  private beatMetrics(registry: Registry): BeatMetrics | undefined {
    const find = <T>(token: new (...args: never[]) => T): T | undefined => {
      try {
        return this.moduleRef.get(token, { strict: false });
      } catch {
        return undefined;
      }
    };
    const events = find(BeatEvents);
    const beat = find(BeatService);
    return events && beat ? new BeatMetrics(registry, events, beat) : undefined;
  }

  /** `tasks: 'events'`: receive the cluster's Celery events. */
  onApplicationBootstrap(): void {
    const cluster = this.cluster;
    if (!cluster) return;
    this.clusterSubscription = this.receiver.events$.subscribe({
      next: (event) => cluster.handle(event),
      error: (error: Error) =>
        this.logger.warn(
          `Cannot receive Celery events: ${error.message}. Task counters stay as they are; ` +
            `queue and worker gauges are not affected.`,
        ),
    });
  }

  onModuleDestroy(): void {
    this.untap?.();
    this.unlearn?.();
    this.clusterSubscription?.unsubscribe();
    this.beat?.close();
    this.deadLetterMetrics?.stop();
  }

  /**
   * The registry may outlive the app (given in the options): free the names for the next one,
   * last (the worker's server serves /metrics through the drain).
   */
  onApplicationShutdown(): void {
    for (const name of this.registered.splice(0)) this.registry.removeSingleMetric(name);
  }
}
