import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
  Optional,
} from '@nestjs/common';
import type { ResolvedTaskQueueOptions } from '../../config/resolved-options.js';
import { ConfigurationError } from '../../errors/configuration.error.js';
import { getTaskQueueConfigToken } from '../../utils/tokens.js';
import { TaskQueueHealth } from '../health/task-queue-health.service.js';
import { METRICS_EXPOSITION, type MetricsExposition } from './metrics-exposition.js';
import { probeResponse } from './probe-response.js';

/**
 * `worker.http`: a small node:http server for processes without one of their own (worker
 * and beat pods), serving `/health/live`, `/health/ready` and `/metrics`. It listens at module
 * init, before the worker consumes (a port that cannot be had fails the boot with nothing
 * taken from the queues), and closes last (`onApplicationShutdown`), so readiness answers 503 while the
 * worker drains. Nothing is created when the option is absent.
 * @publicApi
 */
@Injectable()
export class WorkerHttpServer implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('TaskQueue');
  private server?: Server;

  constructor(
    @Inject(getTaskQueueConfigToken()) private readonly config: ResolvedTaskQueueOptions,
    private readonly health: TaskQueueHealth,
    @Optional()
    @Inject(METRICS_EXPOSITION)
    private readonly exposition: MetricsExposition | null = null,
  ) {}

  /** Where the server listens (after bootstrap), e.g. to read the port picked for port 0. */
  get address(): AddressInfo | undefined {
    const address = this.server?.address();
    return address && typeof address === 'object' ? address : undefined;
  }

  async onModuleInit(): Promise<void> {
    const http = this.config.worker.http;
    if (!http) return;
    const server = createServer((request, response) => void this.handle(request, response));
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error) => reject(listenError(error, http)));
      server.listen(http.port, http.host, () => {
        server.removeAllListeners('error');
        resolve();
      });
    });
    this.server = server;
    const { address, port } = this.address!;
    this.logger.log(
      this.exposition
        ? `Health and metrics on http://${address}:${port} (/health/live, /health/ready, /metrics).`
        : `Health on http://${address}:${port} (/health/live, /health/ready; ${NO_METRICS}).`,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0];
    try {
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        return send(response, 405, 'text/plain', 'Method Not Allowed\n');
      }
      if (path === '/health/live') return json(response, probeResponse(this.health.live()));
      if (path === '/health/ready') return json(response, probeResponse(await this.health.ready()));
      if (path === '/metrics') {
        if (!this.exposition) {
          return send(response, 404, 'text/plain', `Not Found: ${NO_METRICS_FIX}\n`);
        }
        return send(response, 200, this.exposition.contentType, await this.exposition.metrics());
      }
      send(response, 404, 'text/plain', 'Not Found\n');
    } catch (error) {
      send(response, 500, 'text/plain', `${(error as Error).message}\n`);
    }
  }
}

const NO_METRICS = "/metrics needs TaskQueueMetricsModule from 'celeriac/prometheus'";
const NO_METRICS_FIX =
  "no metrics in this process: import TaskQueueMetricsModule from 'celeriac/prometheus' " +
  '(TaskQueueMetricsModule.forRoot({ path: false }) in a worker-only process)';

/** A listen failure as a ConfigurationError that names the option and what to do. */
function listenError(error: NodeJS.ErrnoException, http: { port: number; host: string }): Error {
  const where = `${http.host}:${http.port}`;
  if (error.code === 'EADDRINUSE') {
    return new ConfigurationError(
      `worker.http: ${where} is already in use (EADDRINUSE), by another process of this host ` +
        '(a second worker, the API?). Give each process its own worker.http port ' +
        '(CELERIAC_HTTP_PORT in the demo and the container image), or port 0 for any free one.',
    );
  }
  if (error.code === 'EACCES') {
    return new ConfigurationError(
      `worker.http: not allowed to listen on ${where} (EACCES): ports below 1024 need privileges; ` +
        'use a port above 1023 (9464 is the usual one).',
    );
  }
  if (error.code === 'EADDRNOTAVAIL') {
    return new ConfigurationError(
      `worker.http: ${http.host} is not an address of this host (EADDRNOTAVAIL); use 0.0.0.0 ` +
        '(the default), 127.0.0.1 or one of its interfaces.',
    );
  }
  return error;
}

function json(response: ServerResponse, { status, body }: { status: number; body: object }): void {
  send(response, status, 'application/json; charset=utf-8', JSON.stringify(body));
}

function send(response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  response.end(body);
}
