import { randomUUID } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { portOpen } from '../setup/services.js';

/** The shared e2e Redis (127.0.0.1:6379); tests isolate themselves with unique key prefixes. */
export const REDIS_URL = 'redis://127.0.0.1:6379/0';

/** A free loopback TCP port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A private redis-server on its own loopback port, for restart tests. Never touches the
 * shared 6379 server.
 */
export class PrivateRedisServer {
  private child: ChildProcess | null = null;

  private constructor(readonly port: number) {}

  static async start(): Promise<PrivateRedisServer> {
    const server = new PrivateRedisServer(await freePort());
    await server.start();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  async start(): Promise<void> {
    this.child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    for (let i = 0; i < 100; i++) {
      if (await portOpen(this.port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`private redis-server did not open port ${this.port}`);
  }

  /** SIGKILL the server (it keeps nothing on disk) and wait until the port is closed. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
}

/** Delete every key that starts with `prefix` on the shared server. */
export async function deleteKeys(url: string, prefix: string): Promise<void> {
  const client = new Redis(url, { lazyConnect: true });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await client.del(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

/**
 * An envelope exactly as Python kombu 5.2 writes it (json.dumps separators, `[]` and
 * `[null, null]` values), for restore byte-compatibility checks.
 */
export function pythonEnvelope(queue: string): { tag: string; envelope: string } {
  const tag = randomUUID();
  const id = randomUUID();
  const body = Buffer.from(
    '[[2, 3], {}, {"callbacks": null, "errbacks": null, "chain": null, "chord": null}]',
  ).toString('base64');
  const envelope =
    `{"body": "${body}", "content-encoding": "utf-8", "content-type": "application/json", ` +
    `"headers": {"lang": "py", "task": "proj.add", "id": "${id}", "shadow": null, "eta": null, ` +
    `"expires": null, "group": null, "group_index": null, "retries": 0, "timelimit": [null, null], ` +
    `"root_id": "${id}", "parent_id": null, "argsrepr": "(2, 3)", "kwargsrepr": "{}", ` +
    `"origin": "gen6261@vm", "ignore_result": false, "stamped_headers": [], "big": 12345678901234567}, ` +
    `"properties": {"correlation_id": "${id}", "reply_to": "303d7c8a-541e-363a-ab01-f27062bddd78", ` +
    `"delivery_mode": 2, "delivery_info": {"exchange": "", "routing_key": "${queue}"}, "priority": 0, ` +
    `"body_encoding": "base64", "delivery_tag": "${tag}"}}`;
  return { tag, envelope };
}
