import { describe } from 'vitest';
import { describeGroupStoreConformance } from '../../testing/conformance/group-store.conformance.js';
import { RpcResultBackend } from './rpc.result-backend.js';

// rpc:// results live only in the sender's reply queue: like Celery's rpc backend it keeps no
// groups, and says so with a typed error (no connection is needed to refuse).
describe('rpc:// result backend: groups', () => {
  describeGroupStoreConformance(async () => new RpcResultBackend('amqp://127.0.0.1:1'));
});
