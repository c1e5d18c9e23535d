import { ConfigurationError } from '../errors/configuration.error.js';
import type { TaskQueueOptions, WorkerHttpOptions } from './task-queue-options.interface.js';
import { DEFAULTS } from '../task-queue.constants.js';
import { INVALID_OPTION } from '../task-queue.messages.js';
import { globToRegExp } from '../utils/glob.js';
import type { ResolvedTaskQueueOptions } from './resolved-options.js';
import { validateTaskOptions } from './task-options.validator.js';
import { validateRouteExchange } from './route-exchange.validator.js';
import { resolveEventsOptions } from './events-options.js';
import { validateInstrumentation } from './tracing-options.validator.js';
import { resolvePoolOptions } from './pool-options.validator.js';
import { insideIsolate } from '../utils/isolate-role.js';
import { rejectUnknownOptions } from './known-options.js';
import { checkTransportUrl } from './transport-url.check.js';

const KNOWN = [
  'broker',
  'resultBackend',
  'defaultQueue',
  'routes',
  'worker',
  'taskDefaults',
  'resultExpires',
  'resultExtended',
  'typeorm',
  'events',
  'tracing',
  'instrumentation',
];
const KNOWN_WORKER = [
  'enabled',
  'queues',
  'concurrency',
  'prefetch',
  'hostname',
  'shutdownTimeout',
  'banner',
  'direct',
  'http',
  'pool',
  'isolates',
];
const KNOWN_TYPEORM = ['dataSource', 'dispatch', 'strict', 'relay', 'outbox', 'results'];
const KNOWN_RELAY = [
  'batchSize',
  'pollIntervalMs',
  'listen',
  'owner',
  'maxAttempts',
  'leaseMs',
  'channel',
  'instrumentation',
];
const KNOWN_EVENTS = ['enabled', 'heartbeatInterval', 'taskEvents'];
const OWNER = 'TaskQueueModule';

/** Where each key of the sections lives, to point a key given in the wrong section there. */
const HOMES: Readonly<Record<string, string>> = Object.fromEntries([
  ...KNOWN_TYPEORM.map((key) => [key, `typeorm.${key}`]),
  ...KNOWN_EVENTS.filter((key) => key !== 'enabled').map((key) => [key, `events.${key}`]),
  ...KNOWN_WORKER.map((key) => [key, `worker.${key}`]),
  ...KNOWN.map((key) => [key, key]),
]);

/** `worker.http`: the port (0: any free one) and host of the health / metrics server. */
function validateHttp(http: WorkerHttpOptions | undefined): Required<WorkerHttpOptions> | null {
  if (http === undefined) return null;
  rejectUnknownOptions(OWNER, 'worker.http', http, ['port', 'host']);
  const port = (http as { port?: unknown } | null)?.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65_535)
    fail('worker.http.port', 'a port number 0-65535', port);
  const host = http.host ?? '0.0.0.0';
  if (typeof host !== 'string' || !host) fail('worker.http.host', 'a host name or address', host);
  return { port, host };
}

function fail(option: string, accepted: string, got: unknown): never {
  throw new ConfigurationError(INVALID_OPTION(option, accepted, got));
}

function positiveInt(option: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
    fail(option, 'a whole number ≥ 1', value);
  return value;
}

/** Validate `forRoot()` options and fill in defaults; throws ConfigurationError naming the option. */
export function resolveTaskQueueOptions(options: TaskQueueOptions = {}): ResolvedTaskQueueOptions {
  rejectUnknownOptions(OWNER, '', options, KNOWN, HOMES);
  const broker = options.broker ?? DEFAULTS.broker;
  const resultBackend = options.resultBackend ?? DEFAULTS.resultBackend;
  checkTransportUrl('broker', broker);
  checkTransportUrl('resultBackend', resultBackend);
  const defaultQueue = options.defaultQueue ?? DEFAULTS.defaultQueue;
  if (typeof defaultQueue !== 'string' || !defaultQueue)
    fail('defaultQueue', 'a non-empty string', defaultQueue);

  const worker = options.worker ?? {};
  rejectUnknownOptions(OWNER, 'worker', worker, KNOWN_WORKER, HOMES);
  const queues = worker.queues ?? [defaultQueue];
  if (
    !Array.isArray(queues) ||
    queues.length === 0 ||
    !queues.every((q) => typeof q === 'string' && q)
  ) {
    fail('worker.queues', 'a non-empty array of queue names', queues);
  }
  const hostname = worker.hostname ?? DEFAULTS.hostname;
  if (typeof hostname !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(hostname)) {
    fail('worker.hostname', "a Celery node name 'name@host' (%h, %n, %d are expanded)", hostname);
  }
  const shutdownTimeout = worker.shutdownTimeout ?? DEFAULTS.shutdownTimeout;
  if (typeof shutdownTimeout !== 'number' || shutdownTimeout < 0) {
    fail('worker.shutdownTimeout', 'a number of milliseconds ≥ 0', shutdownTimeout);
  }

  const routes = Object.entries(options.routes ?? {}).map(([pattern, route]) => {
    rejectUnknownOptions(OWNER, `routes['${pattern}']`, route, [
      'queue',
      'priority',
      'exchange',
      'routingKey',
    ]);
    validateTaskOptions({ queue: route.queue, priority: route.priority }, `routes['${pattern}']`);
    validateRouteExchange(pattern, route);
    return { pattern, matcher: globToRegExp(pattern), route };
  });
  const resultExpires = options.resultExpires ?? DEFAULTS.resultExpires;
  if (typeof resultExpires !== 'number' || resultExpires <= 0)
    fail('resultExpires', 'a number of seconds > 0', resultExpires);

  return {
    broker,
    resultBackend,
    defaultQueue,
    routes,
    worker: {
      // Inside a pool isolate the parent consumes: the isolate's context only runs handlers.
      enabled: (worker.enabled ?? true) && !insideIsolate(),
      queues,
      concurrency: positiveInt('worker.concurrency', worker.concurrency, DEFAULTS.concurrency),
      prefetch: positiveInt('worker.prefetch', worker.prefetch, DEFAULTS.prefetch),
      hostname,
      shutdownTimeout,
      banner: worker.banner ?? true,
      direct: worker.direct === true,
      // The parent serves the probes: an isolate booting the worker's own module must not
      // listen on the same port (EADDRINUSE would kill the isolate, and with it the worker's boot).
      http: insideIsolate() ? null : validateHttp(worker.http),
      ...resolvePoolOptions(worker),
    },
    taskDefaults: validateTaskOptions(options.taskDefaults ?? {}, 'taskDefaults'),
    resultExpires,
    resultExtended: options.resultExtended ?? true,
    typeorm: validateTypeOrm(options),
    events: validateEvents(options),
    ...validateInstrumentation(options),
  };
}

function validateTypeOrm(options: TaskQueueOptions): TaskQueueOptions['typeorm'] {
  const typeorm = options.typeorm;
  if (options.resultBackend === 'typeorm' && !typeorm) {
    fail('typeorm', "{ dataSource } when resultBackend is 'typeorm'", undefined);
  }
  if (!typeorm) return undefined;
  rejectUnknownOptions(OWNER, 'typeorm', typeorm, KNOWN_TYPEORM, HOMES);
  rejectUnknownOptions(OWNER, 'typeorm.outbox', typeorm.outbox, ['graceMs', 'leaseMs', 'notify']);
  rejectUnknownOptions(OWNER, 'typeorm.results', typeorm.results, [
    'cleanupIntervalMs',
    'pollIntervalMs',
  ]);
  rejectUnknownOptions(OWNER, 'typeorm.relay', typeorm.relay, KNOWN_RELAY);
  const ds = typeorm.dataSource as { manager?: unknown; transaction?: unknown } | undefined;
  if (!ds || typeof ds.transaction !== 'function')
    fail('typeorm.dataSource', 'a TypeORM DataSource', ds);
  if (typeorm.dispatch !== undefined && !['after-commit', 'outbox'].includes(typeorm.dispatch)) {
    fail('typeorm.dispatch', "'after-commit' or 'outbox'", typeorm.dispatch);
  }
  const ms = (option: string, value: unknown, min: number): void => {
    if (value === undefined) return;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
      fail(option, `an integer number of milliseconds >= ${min}`, value);
    }
  };
  const relay = typeorm.relay;
  if (relay !== undefined && typeof relay !== 'boolean') {
    if (typeof relay !== 'object' || relay === null)
      fail('typeorm.relay', 'a boolean or options', relay);
    ms('typeorm.relay.pollIntervalMs', relay.pollIntervalMs, 10);
    ms('typeorm.relay.leaseMs', relay.leaseMs, 1);
    ms('typeorm.relay.batchSize', relay.batchSize, 1);
  }
  ms('typeorm.outbox.graceMs', typeorm.outbox?.graceMs, 0);
  ms('typeorm.outbox.leaseMs', typeorm.outbox?.leaseMs, 1);
  ms('typeorm.results.cleanupIntervalMs', typeorm.results?.cleanupIntervalMs, 0);
  ms('typeorm.results.pollIntervalMs', typeorm.results?.pollIntervalMs, 10);
  return typeorm;
}

function validateEvents(options: TaskQueueOptions): ResolvedTaskQueueOptions['events'] {
  rejectUnknownOptions(OWNER, 'events', options.events, KNOWN_EVENTS, HOMES);
  const interval = options.events?.heartbeatInterval;
  if (interval !== undefined && !(typeof interval === 'number' && interval > 0)) {
    fail('events.heartbeatInterval', 'a number of seconds > 0', interval);
  }
  return resolveEventsOptions(options);
}
