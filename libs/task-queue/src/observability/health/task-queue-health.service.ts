import { Inject, Injectable, type OnModuleDestroy, Optional } from '@nestjs/common';
import type { ResolvedTaskQueueOptions } from '../../config/resolved-options.js';
import type { Broker } from '../../contracts/broker.interface.js';
import type { ResultBackend } from '../../contracts/result-backend.interface.js';
import {
  getBrokerToken,
  getResultBackendToken,
  getTaskQueueConfigToken,
} from '../../utils/tokens.js';
import { WorkerService } from '../../worker/worker.service.js';
import { EventLoopLag } from './event-loop-lag.js';
import type { CheckOutcome, ProbeOutcome } from './health-check.types.js';

/** Liveness fails when the event loop was blocked this long (ms). */
const DEFAULT_MAX_LAG_MS = 5_000;

/**
 * The checks behind `/health/live` and `/health/ready` (docs/metrics-and-health.md), on the
 * connections the module already has (no new socket per check):
 * - liveness: the event loop is responsive. It never looks at the broker, so a worker that
 *   reconnects during an outage is not restarted;
 * - readiness: not shutting down (down from the first SIGTERM, before the drain), broker
 *   and result backend answer, the worker consumes when it is enabled, and a beat competing
 *   for leadership in this process reaches its schedule store (`beat`).
 * `celeriac/terminus` wraps the same checks as Terminus health indicators.
 * @publicApi
 */
@Injectable()
export class TaskQueueHealth implements OnModuleDestroy {
  private readonly lag = new EventLoopLag();
  /** Checks other modules add to readiness (the beat's `beat`), by name. */
  private readonly extraChecks = new Map<string, () => CheckOutcome>();

  constructor(
    @Inject(getTaskQueueConfigToken()) private readonly config: ResolvedTaskQueueOptions,
    @Inject(getBrokerToken()) private readonly brokerClient: Broker,
    private readonly worker: WorkerService,
    @Optional()
    @Inject(getResultBackendToken())
    private readonly backendClient: ResultBackend | null = null,
  ) {}

  /** The broker answers on its existing connection. */
  broker(): Promise<CheckOutcome> {
    return pingCheck(this.brokerClient.transport, () => this.brokerClient.ping());
  }

  /** The result backend answers (up when the module has none). */
  async backend(): Promise<CheckOutcome> {
    const backend = this.backendClient;
    if (!backend) return { up: true, details: { backend: 'none' } };
    return pingCheck(backend.kind, () => backend.ping());
  }

  /**
   * The worker consumes (up when this process runs no worker), with its busy slots; down with
   * the reason while a consumer cannot subscribe again (RabbitMQ refuses it).
   */
  consumer(): CheckOutcome {
    const enabled = this.config.worker.enabled;
    const stalled = this.worker.consumerStalled;
    const consuming = this.worker.running && !stalled;
    return {
      up: !enabled || consuming,
      details: {
        consuming,
        busy: this.worker.busySlots,
        concurrency: this.worker.concurrency,
        ...(stalled ? { message: stalled } : {}),
      },
    };
  }

  /** Up until shutdown begins (first SIGTERM / app close). */
  shutdown(): CheckOutcome {
    const down = this.worker.shuttingDown;
    return { up: !down, details: down ? { message: 'shutting down' } : {} };
  }

  /** The longest event-loop delay since the previous check is under `maxLagMs`. */
  eventLoop(maxLagMs = DEFAULT_MAX_LAG_MS): CheckOutcome {
    const lagMs = this.lag.read();
    return { up: lagMs <= maxLagMs, details: { lagMs, maxLagMs } };
  }

  /**
   * Add a check to readiness under `name` (the beat module adds `beat` in a process where its
   * beat competes for leadership). @internal
   */
  addReadinessCheck(name: string, check: () => CheckOutcome): void {
    this.extraChecks.set(name, check);
  }

  /** The names of the checks added with `addReadinessCheck()`. */
  extraCheckNames(): string[] {
    return [...this.extraChecks.keys()];
  }

  /** One added check by name (up when there is none of that name). */
  extraCheck(name: string): CheckOutcome {
    return this.extraChecks.get(name)?.() ?? { up: true, details: {} };
  }

  /** Liveness: only the event loop (never the broker). */
  live(maxLagMs?: number): ProbeOutcome {
    return probe({ eventLoop: this.eventLoop(maxLagMs) });
  }

  /**
   * Readiness: not shutting down, broker and backend answer, consuming when enabled, and the
   * checks other modules added (`beat`).
   */
  async ready(): Promise<ProbeOutcome> {
    const shutdown = this.shutdown();
    if (!shutdown.up) return probe({ shutdown });
    const [broker, resultBackend] = await Promise.all([this.broker(), this.backend()]);
    // The check names are the Terminus indicator's (`TaskQueueHealthIndicator.ready()`).
    const extras = Object.fromEntries(
      this.extraCheckNames().map((name) => [name, this.extraCheck(name)]),
    );
    return probe({ shutdown, broker, resultBackend, consumer: this.consumer(), ...extras });
  }

  onModuleDestroy(): void {
    this.lag.stop();
  }
}

async function pingCheck(kind: string, ping: () => Promise<void>): Promise<CheckOutcome> {
  try {
    await ping();
    return { up: true, details: { transport: kind } };
  } catch (error) {
    return { up: false, details: { transport: kind, message: (error as Error).message } };
  }
}

function probe(checks: Record<string, CheckOutcome>): ProbeOutcome {
  return { up: Object.values(checks).every((check) => check.up), checks };
}
