import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll } from 'vitest';

const run = promisify(execFile);

async function rabbitmqctl(...args: string[]): Promise<string> {
  const { stdout } = await run('rabbitmqctl', ['-q', ...args], { timeout: 30_000 });
  return stdout;
}

/**
 * A private RabbitMQ vhost for one e2e spec file: everything it declares lives in it and goes
 * away with `dispose()`, so specs can run in parallel with others on the shared server.
 */
export interface AmqpTestVhost {
  readonly name: string;
  /** `amqp://guest:guest@127.0.0.1:5672/<vhost>` */
  readonly url: string;
  dispose(): Promise<void>;
}

export async function createTestVhost(prefix = 'celeriac-test'): Promise<AmqpTestVhost> {
  const name = `${prefix}-${randomUUID()}`;
  await rabbitmqctl('add_vhost', name);
  await rabbitmqctl('set_permissions', '-p', name, 'guest', '.*', '.*', '.*');
  return {
    name,
    url: `amqp://guest:guest@127.0.0.1:5672/${encodeURIComponent(name)}`,
    dispose: async () => {
      await rabbitmqctl('delete_vhost', name).catch(() => undefined);
    },
  };
}

/**
 * The spec file's private vhost: created before its tests, deleted after them. Read `name` and
 * `url` in tests and hooks (they throw while no vhost exists), not when the file loads.
 */
export function usePrivateVhost(prefix: string): Pick<AmqpTestVhost, 'name' | 'url'> {
  let vhost: AmqpTestVhost | undefined;
  beforeAll(async () => {
    vhost = await createTestVhost(prefix);
  }, 60_000);
  afterAll(async () => {
    await vhost?.dispose();
  });
  const current = (): AmqpTestVhost => {
    if (!vhost) throw new Error(`The vhost ${prefix}-* exists only while its spec file runs.`);
    return vhost;
  };
  return {
    get name() {
      return current().name;
    },
    get url() {
      return current().url;
    },
  };
}

/** Force-close (CONNECTION_FORCED) the connections whose `connection_name` is `name`; returns how many. */
export async function closeConnectionsNamed(name: string): Promise<number> {
  const out = await rabbitmqctl('list_connections', 'pid', 'client_properties');
  const pids = out
    .split('\n')
    .filter((line) => line.includes(`{"connection_name","${name}"}`))
    .map((line) => line.split('\t')[0]!)
    .filter((pid) => pid.startsWith('<'));
  for (const pid of pids) await rabbitmqctl('close_connection', pid, 'celeriac e2e: forced close');
  return pids.length;
}

/** Queue stats of a vhost: ready and unacknowledged messages, and declared arguments. */
export interface QueueStats {
  name: string;
  messages: number;
  unacked: number;
  /** `classic` or `quorum`. */
  type: string;
  arguments: string;
}

export async function listQueues(vhost: string): Promise<QueueStats[]> {
  const columns = ['name', 'messages_ready', 'messages_unacknowledged', 'type', 'arguments'];
  const out = await rabbitmqctl('list_queues', '-p', vhost, ...columns);
  return out
    .split('\n')
    .map((line) => line.split('\t'))
    .filter((cols) => cols.length >= 3 && cols[0] !== 'name')
    .map(([name, ready, unacked, type, args]) => ({
      name: name!,
      messages: Number(ready),
      unacked: Number(unacked),
      type: type ?? '',
      arguments: args ?? '',
    }));
}
