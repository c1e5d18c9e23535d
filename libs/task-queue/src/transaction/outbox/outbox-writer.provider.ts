import type { Provider } from '@nestjs/common';
import type { ResolvedTaskQueueOptions } from '../../config/resolved-options.js';
import type { Broker } from '../../contracts/broker.interface.js';
import { PUBLISH_INSTRUMENTATION } from '../../tasks/sent-reporting.instrumentation.js';
import { NO_INSTRUMENTATION, type TaskInstrumentation } from '../../tasks/task-instrumentation.js';
import {
  getBrokerToken,
  getOutboxWriterToken,
  getTaskQueueConfigToken,
} from '../../utils/tokens.js';
import type { OutboxWriter } from './outbox.writer.js';

/**
 * The module's outbox writer, one per module instance (its fast path publishes on this module's
 * broker): made when `typeorm.dispatch` is `'outbox'`, else null. TypeORM is imported only then.
 */
export const outboxWriterProvider: Provider = {
  provide: getOutboxWriterToken(),
  inject: [
    getTaskQueueConfigToken(),
    getBrokerToken(),
    { token: PUBLISH_INSTRUMENTATION, optional: true },
  ],
  useFactory: async (
    config: ResolvedTaskQueueOptions,
    broker: Broker,
    instrumentation: TaskInstrumentation | undefined,
  ): Promise<OutboxWriter | null> => {
    const typeorm = config.typeorm;
    if (typeorm?.dispatch !== 'outbox') return null;
    const { OutboxWriter } = await import('./outbox.writer.js');
    return new OutboxWriter({
      ...typeorm.outbox,
      broker,
      instrumentation: instrumentation ?? NO_INSTRUMENTATION,
    });
  },
};
