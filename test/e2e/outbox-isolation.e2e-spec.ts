import { afterAll, beforeAll, describe } from 'vitest';
import type { DataSource } from 'typeorm';
import { outboxScenarios } from '../support/outbox-scenarios.js';
import { openOutboxDataSource } from '../support/outbox-postgres.js';
import { dropSchema, uniqueSchema } from '../support/typeorm-postgres.js';

/**
 * A PostgreSQL database whose default isolation is not READ COMMITTED (`ALTER DATABASE … SET
 * default_transaction_isolation`, or the role's): the relays' and the fast path's statements on
 * task_outbox used to inherit it, so relay rounds failed with serialization errors and, at
 * SERIALIZABLE, the app's own transactions writing outbox rows were aborted as well.
 */
describe.each(['serializable', 'repeatable read'])(
  'outbox on PostgreSQL whose default isolation is %s',
  (level) => {
    const schema = uniqueSchema('outbox_iso');
    let dataSource: DataSource;
    beforeAll(async () => {
      const options = `-c search_path=${schema} -c default_transaction_isolation=${level.replace(' ', '\\ ')}`;
      dataSource = await openOutboxDataSource(schema, { extra: { options, max: 10 } });
    });
    afterAll(async () => {
      await dataSource?.destroy();
      await dropSchema(schema);
    });
    outboxScenarios(() => dataSource);
  },
);
