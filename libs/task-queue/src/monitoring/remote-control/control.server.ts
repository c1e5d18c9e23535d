import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { ResolvedTaskQueueOptions } from '../../config/resolved-options.js';
import { TaskRegistry } from '../../tasks/task.registry.js';
import { CeleryEventsPublisher } from '../celery-events/celery-events.publisher.js';
import { LamportClock } from '../celery-events/lamport-clock.js';
import type { Broker } from '../../contracts/broker.interface.js';
import { getBrokerToken, getTaskQueueConfigToken } from '../../utils/tokens.js';
import { RevokedTasks } from '../../revocation/revoked-tasks.js';
import { WorkerService } from '../../worker/worker.service.js';
import { TaskPools } from '../../worker/pool/task-pools.js';
import { isForNode, parseControlRequest, type ControlRequest } from './control-message.js';
import { BroadcastTransportHost } from '../../transports/broadcast-transport.host.js';
import type {
  BroadcastTransport,
  ExchangeSubscription,
  IncomingMessage,
} from '../../contracts/broadcast-transport.interface.js';
import {
  PIDBOX_EXCHANGE,
  PIDBOX_QUEUE_ARGUMENTS,
  pidboxQueue,
  REPLY_EXCHANGE,
} from '../../broadcast/pidbox.names.js';
import { NO_REPLY, WorkerControlCommands } from './worker-control.commands.js';
import { unsupportedCommandError } from './unsupported-commands.js';

/** First and largest pause between two attempts to listen, after the broker refused. */
const RETRY_FIRST_MS = 1_000;
const RETRY_MAX_MS = 30_000;

/**
 * Answers Celery remote control (pidbox, docs/protocol.md#remote-control) while the worker runs:
 * `celery inspect ping / stats / registered / active / reserved / scheduled`, `celery status`,
 * `celery control revoke / shutdown`, Flower's queries and mingle `hello`. Listens on
 * `<nodename>.celery.pidbox`, bound to the `celery.pidbox` fanout exchange.
 * @publicApi
 */
@Injectable()
export class ControlServer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('CeleryControl');
  private readonly commands: WorkerControlCommands;
  private transport?: BroadcastTransport;
  private subscription?: ExchangeSubscription;
  private shuttingDown = false;
  private shutdownHandler?: (reason: string) => unknown;
  private stopped = false;
  private retryDelay = RETRY_FIRST_MS;
  private retryTimer?: NodeJS.Timeout;

  constructor(
    @Inject(getTaskQueueConfigToken()) config: ResolvedTaskQueueOptions,
    @Inject(getBrokerToken()) broker: Broker,
    private readonly worker: WorkerService,
    registry: TaskRegistry,
    revoked: RevokedTasks,
    private readonly clock: LamportClock,
    private readonly events: CeleryEventsPublisher,
    private readonly host: BroadcastTransportHost,
    pools: TaskPools,
  ) {
    this.commands = new WorkerControlCommands({
      config,
      broker,
      worker,
      pools,
      registry,
      revoked,
      clock,
      events,
      shutdown: (reason) => void this.shutdown(reason),
    });
  }

  /** True while this worker answers remote control. */
  get listening(): boolean {
    return this.subscription !== undefined;
  }

  /**
   * What to do after a remote `shutdown` stopped the worker, e.g. `() => app.close()`.
   * Without a handler, SIGTERM is raised when the app listens for it (`handleShutdownSignals`
   * or `enableShutdownHooks()`).
   */
  onRemoteShutdown(handler: (reason: string) => unknown): void {
    this.shutdownHandler = handler;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.worker.running) return;
    if (!(await this.listen())) this.retryListening();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.stopListening();
  }

  /** Subscribe to this worker's pidbox queue; resolves false (and says so once) on failure. */
  private async listen(): Promise<boolean> {
    try {
      this.transport = await this.host.get();
      const subscription = await this.transport.subscribe(
        {
          exchange: PIDBOX_EXCHANGE,
          queue: pidboxQueue(this.worker.hostname),
          bindingKey: '',
          queueArguments: PIDBOX_QUEUE_ARGUMENTS,
        },
        (message) => void this.onMessage(message),
      );
      if (this.stopped) {
        await subscription.cancel().catch(() => undefined);
        return true;
      }
      this.subscription = subscription;
      return true;
    } catch (error) {
      if (this.retryDelay === RETRY_FIRST_MS) {
        this.logger.warn(
          `Remote control is off for now: ${(error as Error).message}. The worker runs, but ` +
            `\`celery inspect\` / \`celery control\` cannot reach it; retrying with backoff ` +
            `(failed retries are not logged). Check the broker URL and the broker's health.`,
        );
      }
      return false;
    }
  }

  /** Try again with backoff (up to 30 s apart) until it listens or the app shuts down. */
  private retryListening(): void {
    if (this.stopped) return;
    const delay = this.retryDelay;
    this.retryDelay = Math.min(delay * 2, RETRY_MAX_MS);
    this.retryTimer = setTimeout(() => {
      void this.listen().then((listening) => {
        if (!listening) return this.retryListening();
        if (!this.stopped) this.logger.log('Remote control is on: the broker accepted it.');
      });
    }, delay);
    this.retryTimer.unref();
  }

  private async stopListening(): Promise<void> {
    const subscription = this.subscription;
    this.subscription = undefined;
    await subscription?.cancel().catch(() => undefined);
  }

  private async onMessage(message: IncomingMessage): Promise<void> {
    this.clock.adjust(message.headers.clock);
    const request = parseControlRequest(message.body);
    if (!request || !isForNode(request, this.worker.hostname)) return;
    let reply: unknown;
    const unsupported = unsupportedCommandError(request.method);
    if (unsupported) {
      this.logger.warn(`Remote-control command refused: ${unsupported}`);
      reply = { error: unsupported };
    } else if (!this.commands.has(request.method)) {
      this.logger.log(
        `Ignored unknown remote-control command "${request.method}" (Celeriac does not implement it).`,
      );
      reply = { error: `KeyError('${request.method}')` };
    } else {
      try {
        reply = await this.commands.run(request.method, request.arguments);
      } catch (error) {
        this.logger.warn(
          `Remote-control command "${request.method}" failed: ${(error as Error).message}`,
        );
        reply = { error: (error as Error).message };
      }
    }
    if (reply !== NO_REPLY) await this.reply(request, reply);
  }

  private async reply(request: ControlRequest, reply: unknown): Promise<void> {
    if (!request.reply_to || !request.ticket || !this.transport) return;
    const exchange = { ...REPLY_EXCHANGE, name: request.reply_to.exchange || REPLY_EXCHANGE.name };
    await this.transport
      .publish(exchange, request.reply_to.routing_key, {
        body: { [this.worker.hostname]: reply },
        headers: { ticket: request.ticket, clock: this.clock.forward() },
        deliveryMode: 1,
      })
      .catch((error: Error) =>
        this.logger.warn(
          `Could not reply to remote-control "${request.method}": ${error.message}. The caller will time out.`,
        ),
      );
  }

  /**
   * The `shutdown` command: stop fetching and drain (graceful), say `worker-offline`, stop
   * answering; then run the {@link onRemoteShutdown} handler or, when the app installed
   * a SIGTERM listener (`handleShutdownSignals(app)` or `enableShutdownHooks()`), raise SIGTERM
   * so the application closes.
   */
  private async shutdown(reason: string): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.logger.warn(`Remote shutdown requested (${reason}): stopping the worker gracefully.`);
    await this.worker.stop();
    await this.events.goOffline();
    await this.stopListening();
    if (this.shutdownHandler) {
      await Promise.resolve(this.shutdownHandler(reason)).catch((error: Error) =>
        this.logger.error(`The remote shutdown handler failed: ${error.message}`),
      );
    } else if (process.listenerCount('SIGTERM') > 0) {
      process.kill(process.pid, 'SIGTERM');
    } else {
      this.logger.log(
        'Worker stopped by remote shutdown. The application keeps running: call ' +
          'handleShutdownSignals(app) to have it exit on remote shutdown too.',
      );
    }
  }
}
