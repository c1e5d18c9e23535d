import { randomUUID } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { portOpen } from '../setup/services.js';
import { taskKey } from '../../libs/task-queue/src/transports/redis/redis-result.codec.js';

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
 * A private redis-server on its own loopback port, for restart tests; never touches the shared
 * 6379 server. `durable` keeps an fsync-always append-only file in a temporary directory, so a
 * SIGKILL and restart keeps every acknowledged write (queues, unacked, results).
 */
export class PrivateRedisServer {
  private child: ChildProcess | null = null;

  private constructor(
    readonly port: number,
    private readonly dir: string | null,
  ) {}

  static async start(options: { durable?: boolean } = {}): Promise<PrivateRedisServer> {
    const dir = options.durable ? mkdtempSync(join(tmpdir(), 'celeriac-redis-')) : null;
    const server = new PrivateRedisServer(await freePort(), dir);
    await server.start();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  /** Start (again) on the same port (and data directory); resolves once it accepts connections. */
  async start(): Promise<void> {
    const persistence = this.dir
      ? ['--dir', this.dir, '--appendonly', 'yes', '--appendfsync', 'always']
      : ['--appendonly', 'no'];
    this.child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', ...persistence],
      { stdio: 'ignore' },
    );
    for (let i = 0; i < 200; i++) {
      if (await portOpen(this.port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`private redis-server did not open port ${this.port}`);
  }

  /** Same as start(): bring a killed server back. */
  restart(): Promise<void> {
    return this.start();
  }

  /** SIGKILL the server and wait until it has exited. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  /** SIGSTOP the server: connections stay open and nothing answers (a hung Redis). */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  /** SIGCONT a paused server. */
  resume(): void {
    this.child?.kill('SIGCONT');
  }

  /** Kill the server and delete its data directory. */
  async destroy(): Promise<void> {
    await this.kill();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Delete every key that starts with one of `prefixes` on the shared server. */
export async function deleteKeys(url: string, ...prefixes: string[]): Promise<void> {
  const client = new Redis(url, { lazyConnect: true });
  try {
    for (const prefix of prefixes) {
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
        cursor = next;
        if (keys.length > 0) await client.del(...keys);
      } while (cursor !== '0');
    }
  } finally {
    client.disconnect();
  }
}

/** Delete the Celery result keys (`celery-task-meta-<id>`) of `ids` on the shared server. */
export async function deleteResults(url: string, ids: Iterable<string>): Promise<void> {
  const keys = [...ids].map(taskKey);
  const client = new Redis(url, { lazyConnect: true });
  try {
    for (let i = 0; i < keys.length; i += 1000) await client.del(...keys.slice(i, i + 1000));
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
