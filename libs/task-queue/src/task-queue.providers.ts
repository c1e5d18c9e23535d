import type { Provider } from '@nestjs/common';
import type { ResolvedTaskQueueOptions } from './config/resolved-options.js';
import { resolveTaskQueueOptions } from './config/task-queue-options.validator.js';
import { createBroker } from './transports/broker.factory.js';
import { createResultBackend } from './transports/result-backend.factory.js';
import { createRevocationStore } from './transports/revocation-store.factory.js';
import { createRateLimitStore } from './transports/rate-limit-store.factory.js';
import type { TaskQueueOptions } from './config/task-queue-options.interface.js';
import { TASK_QUEUE_MODULE_OPTIONS } from './task-queue.module-definition.js';
import { TASK_INSTRUMENTATION } from './tasks/task-instrumentation.js';
import { createInstrumentation } from './tasks/instrumentation.factory.js';
import { TaskEvents } from './tasks/task-events.js';
import {
  PUBLISH_INSTRUMENTATION,
  SentReportingInstrumentation,
} from './tasks/sent-reporting.instrumentation.js';
import type { TaskInstrumentation } from './tasks/task-instrumentation.js';
import { expandNodename } from './utils/nodename.js';
import {
  getBrokerToken,
  getResultBackendToken,
  getRateLimitStoreFactoryToken,
  getRevocationStoreToken,
  getTaskQueueConfigToken,
} from './utils/tokens.js';

/** The tokens of the core providers, exported by the module. */
export const CORE_TOKENS = [
  getTaskQueueConfigToken(),
  getBrokerToken(),
  getRevocationStoreToken(),
  getResultBackendToken(),
  TASK_INSTRUMENTATION,
  PUBLISH_INSTRUMENTATION,
];

/** Validated options, the broker and the result backend as providers. */
export function createCoreProviders(): Provider[] {
  return [
    {
      provide: getTaskQueueConfigToken(),
      inject: [TASK_QUEUE_MODULE_OPTIONS],
      useFactory: (options: TaskQueueOptions) => resolveTaskQueueOptions(options),
    },
    {
      provide: getBrokerToken(),
      inject: [getTaskQueueConfigToken()],
      useFactory: (config: ResolvedTaskQueueOptions) => createBroker(config.broker),
    },
    {
      provide: getRevocationStoreToken(),
      inject: [getTaskQueueConfigToken()],
      useFactory: (config: ResolvedTaskQueueOptions) =>
        createRevocationStore(config.broker, config.resultBackend),
    },
    {
      provide: getRateLimitStoreFactoryToken(),
      inject: [getTaskQueueConfigToken()],
      useFactory: (config: ResolvedTaskQueueOptions) => (globalLimitTasks: string[]) =>
        createRateLimitStore(config, globalLimitTasks),
    },
    {
      provide: getResultBackendToken(),
      inject: [getTaskQueueConfigToken()],
      useFactory: (config: ResolvedTaskQueueOptions) =>
        createResultBackend(config.resultBackend, {
          expires: config.resultExpires,
          brokerUrl: typeof config.broker === 'string' ? config.broker : undefined,
          typeorm: config.typeorm,
        }),
    },
    {
      provide: TASK_INSTRUMENTATION,
      inject: [getTaskQueueConfigToken(), getBrokerToken(), TaskEvents],
      useFactory: createInstrumentation,
    },
    {
      provide: PUBLISH_INSTRUMENTATION,
      inject: [TASK_INSTRUMENTATION, TaskEvents, getTaskQueueConfigToken()],
      useFactory: (
        inner: TaskInstrumentation,
        events: TaskEvents,
        config: ResolvedTaskQueueOptions,
      ) => new SentReportingInstrumentation(inner, events, expandNodename(config.worker.hostname)),
    },
  ];
}
