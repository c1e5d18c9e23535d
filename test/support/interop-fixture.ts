import { afterAll, beforeAll } from 'vitest';
import { type AmqpTestVhost, createTestVhost } from './amqp-vhost.js';
import { ensureBuilt } from './interop-build.js';
import { type ManagedProcess, startNodeWorker, stopAll, uniqueName } from './interop-processes.js';
import { deleteKeys, deleteResults, REDIS_URL } from './redis-test-server.js';

/** What the Python client reports of one call (`call` / `raw` commands). */
export interface PyCall {
  id: string;
  state: string;
  result?: unknown;
  exc_type?: string;
  exc_message?: string;
}

/** A broker and result backend Python and Node share in a suite. */
export interface InteropTransport {
  name: string;
  broker: () => string;
  backend: string;
}

/** A Python interop suite's shared state: what it created, to remove afterwards. */
export interface InteropFixture {
  /** Task ids whose Redis results are deleted at the end. */
  readonly ids: string[];
  /** Redis queues (and their kombu bindings) deleted at the end. */
  readonly queues: string[];
  /** The suite's private RabbitMQ vhost URL (after beforeAll). */
  vhostUrl(): string;
  /** Redis; RabbitMQ (the private vhost) with Redis results; RabbitMQ with rpc:// results. */
  readonly transports: readonly InteropTransport[];
  /**
   * Registers the calling describe block's beforeAll / afterAll: a compiled Node worker on a
   * queue of its own (removed at the end), started before its tests and stopped after them.
   */
  useNodeWorker(queuePrefix: string, transport: Omit<InteropTransport, 'name'>): SuiteWorker;
}

/** A Node worker of one describe block (see {@link InteropFixture.useNodeWorker}). */
export interface SuiteWorker {
  readonly queue: string;
  /** The running worker (after beforeAll). */
  process(): ManagedProcess;
}

/**
 * Registers the suite's beforeAll / afterAll: the interop apps built, a private vhost; at the
 * end every process stopped and the results, queues and vhost removed.
 */
export function useInteropFixture(vhostName: string): InteropFixture {
  let vhost: AmqpTestVhost | undefined;
  const vhostUrl = (): string => {
    if (!vhost) throw new Error('The interop fixture has no vhost yet (used before beforeAll).');
    return vhost.url;
  };
  const fixture: InteropFixture = {
    ids: [],
    queues: [],
    vhostUrl,
    transports: [
      { name: 'Redis', broker: () => REDIS_URL, backend: REDIS_URL },
      { name: 'RabbitMQ, Redis results', broker: vhostUrl, backend: REDIS_URL },
      { name: 'RabbitMQ, rpc:// results', broker: vhostUrl, backend: 'rpc://' },
    ],
    useNodeWorker(queuePrefix, { broker, backend }) {
      const queue = uniqueName(queuePrefix);
      let worker: ManagedProcess | undefined;
      beforeAll(async () => {
        fixture.queues.push(queue);
        worker = await startNodeWorker({ broker: broker(), backend, queues: [queue] });
      }, 60_000);
      afterAll(async () => {
        await worker?.stop();
      });
      return {
        queue,
        process: () => {
          if (!worker) throw new Error(`The Node worker of ${queue} has not started yet.`);
          return worker;
        },
      };
    },
  };
  beforeAll(async () => {
    await ensureBuilt();
    vhost = await createTestVhost(vhostName);
  }, 120_000);
  afterAll(async () => {
    await stopAll();
    await deleteResults(REDIS_URL, fixture.ids);
    const { queues } = fixture;
    await deleteKeys(REDIS_URL, ...queues.flatMap((q) => [q, `_kombu.binding.${q}`]));
    await vhost?.dispose();
  }, 60_000);
  return fixture;
}
