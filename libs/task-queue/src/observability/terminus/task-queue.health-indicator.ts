import { Injectable } from '@nestjs/common';
import {
  type HealthIndicatorFunction,
  type HealthIndicatorResult,
  HealthIndicatorService,
} from '@nestjs/terminus';
import { TaskQueueHealth } from '../health/task-queue-health.service.js';
import type { CheckOutcome } from '../health/health-check.types.js';

/**
 * Celeriac's checks as Terminus health indicators (`celeriac/terminus`), on the module's
 * existing connections. `live()` and `ready()` are the presets the `/health/live` and
 * `/health/ready` endpoints run: liveness never depends on the broker.
 *
 * @example
 * this.health.check([() => this.taskQueue.broker(), () => this.taskQueue.consumer()]);
 * @publicApi
 */
@Injectable()
export class TaskQueueHealthIndicator {
  constructor(
    private readonly health: TaskQueueHealth,
    private readonly indicators: HealthIndicatorService,
  ) {}

  /** The broker answers a ping on its existing connection. */
  async broker(key = 'broker'): Promise<HealthIndicatorResult> {
    return this.result(key, await this.health.broker());
  }

  /** The result backend answers (up when there is none). */
  async backend(key = 'resultBackend'): Promise<HealthIndicatorResult> {
    return this.result(key, await this.health.backend());
  }

  /** The worker consumes (up when this process runs no worker); busy and total slots. */
  consumer(key = 'consumer'): HealthIndicatorResult {
    return this.result(key, this.health.consumer());
  }

  /** Down from the first SIGTERM (before the drain), so the pod leaves the endpoints first. */
  shutdown(key = 'shutdown'): HealthIndicatorResult {
    return this.result(key, this.health.shutdown());
  }

  /** The longest event-loop delay since the previous check stays under `maxLagMs` (5 000). */
  eventLoop(key = 'eventLoop', maxLagMs?: number): HealthIndicatorResult {
    return this.result(key, this.health.eventLoop(maxLagMs));
  }

  /** Liveness preset: the event loop only. */
  live(): HealthIndicatorFunction[] {
    return [() => this.eventLoop()];
  }

  /** The beat of this process reaches its schedule store (up when it runs no beat). */
  beat(key = 'beat'): HealthIndicatorResult {
    return this.result(key, this.health.extraCheck('beat'));
  }

  /** Readiness preset: not shutting down, broker, result backend, consumer, and `beat` if run. */
  ready(): HealthIndicatorFunction[] {
    return [
      () => this.shutdown(),
      () => this.broker(),
      () => this.backend(),
      () => this.consumer(),
      ...this.health
        .extraCheckNames()
        .map((name) => () => this.result(name, this.health.extraCheck(name))),
    ];
  }

  private result(key: string, outcome: CheckOutcome): HealthIndicatorResult {
    const session = this.indicators.check(key);
    const data = { ...outcome.details };
    return outcome.up ? session.up(data) : session.down(data);
  }
}
