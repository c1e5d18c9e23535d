import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { portOpen } from '../setup/services.js';

/** The master name the sentinels of a {@link SentinelGroup} monitor. */
export const MASTER_NAME = 'celeriac-master';

/** Whether `port` can be listened on at 127.0.0.1 now. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A free loopback port in [base, base + 100), from a random start. */
async function freePortFrom(base: number, taken: Set<number>): Promise<number> {
  const start = Math.floor(Math.random() * 100);
  for (let i = 0; i < 100; i++) {
    const port = base + ((start + i) % 100);
    if (!taken.has(port) && (await portFree(port))) {
      taken.add(port);
      return port;
    }
  }
  throw new Error(`no free port in ${base}-${base + 99}`);
}

/**
 * A private Redis Sentinel set-up on loopback: a master (port 63xx), a replica of it and
 * `sentinels` sentinels (ports 263xx), none persistent, with failover tuned to take about a
 * second. Never touches the shared 6379 server.
 */
export class SentinelGroup {
  private readonly children = new Map<number, ChildProcess>();
  private sentinelPassword: string | undefined;

  private constructor(
    readonly masterPort: number,
    readonly replicaPort: number,
    readonly sentinelPorts: number[],
    private readonly dir: string,
  ) {}

  /** `sentinelPassword`: the sentinels' own `requirepass`. */
  static async start(
    options: { sentinels?: number; sentinelPassword?: string } = {},
  ): Promise<SentinelGroup> {
    const taken = new Set<number>();
    const masterPort = await freePortFrom(6300, taken);
    const replicaPort = await freePortFrom(6300, taken);
    const sentinelPorts: number[] = [];
    for (let i = 0; i < (options.sentinels ?? 1); i++) {
      sentinelPorts.push(await freePortFrom(26300, taken));
    }
    const dir = mkdtempSync(join(tmpdir(), 'celeriac-sentinel-'));
    const group = new SentinelGroup(masterPort, replicaPort, sentinelPorts, dir);
    try {
      await group.spawnServer(masterPort, []);
      await group.spawnServer(replicaPort, ['--replicaof', '127.0.0.1', String(masterPort)]);
      for (const port of sentinelPorts) {
        const conf = join(dir, `sentinel-${port}.conf`);
        writeFileSync(
          conf,
          [
            `port ${port}`,
            'bind 127.0.0.1',
            `dir ${dir}`,
            `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${masterPort} 1`,
            `sentinel down-after-milliseconds ${MASTER_NAME} 500`,
            `sentinel failover-timeout ${MASTER_NAME} 1000`,
            ...(options.sentinelPassword ? [`requirepass ${options.sentinelPassword}`] : []),
            '',
          ].join('\n'),
        );
        await group.spawn(port, [conf, '--sentinel', '--save', '', '--appendonly', 'no']);
      }
      group.sentinelPassword = options.sentinelPassword;
      await group.untilReplicaKnown();
    } catch (error) {
      await group.destroy();
      throw error;
    }
    return group;
  }

  /** `sentinel://` URLs of every sentinel, joined by `;` as Celery writes them. */
  sentinelUrl(query = `master_name=${MASTER_NAME}`): string {
    const url = this.sentinelPorts.map((port) => `sentinel://127.0.0.1:${port}/0`).join(';');
    return query ? `${url}?${query}` : url;
  }

  /** The port the sentinels name as the master now. */
  async currentMasterPort(): Promise<number | undefined> {
    const sentinel = new Redis(this.sentinelPorts[0]!, '127.0.0.1', {
      lazyConnect: true,
      password: this.sentinelPassword,
    });
    try {
      const reply = (await sentinel.call('SENTINEL', 'get-master-addr-by-name', MASTER_NAME)) as
        string[] | null;
      return reply ? Number(reply[1]) : undefined;
    } finally {
      sentinel.disconnect();
    }
  }

  /** SIGKILL the master, and wait until the sentinels have promoted the replica. */
  async failover(): Promise<void> {
    await this.kill(this.masterPort);
    for (let i = 0; i < 600; i++) {
      if ((await this.currentMasterPort()) === this.replicaPort && (await this.isMaster())) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('the sentinels did not promote the replica within 30 s');
  }

  /** SIGKILL every process and delete the configuration directory. */
  async destroy(): Promise<void> {
    for (const port of [...this.children.keys()]) await this.kill(port);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async isMaster(): Promise<boolean> {
    const replica = new Redis(this.replicaPort, '127.0.0.1', { lazyConnect: true });
    try {
      return (await replica.info('replication')).includes('role:master');
    } finally {
      replica.disconnect();
    }
  }

  /** Until the replica is in sync and the sentinel lists it as a healthy replica. */
  private async untilReplicaKnown(): Promise<void> {
    const sentinel = new Redis(this.sentinelPorts[0]!, '127.0.0.1', {
      lazyConnect: true,
      password: this.sentinelPassword,
    });
    try {
      for (let i = 0; i < 600; i++) {
        const replicas = (await sentinel.call('SENTINEL', 'replicas', MASTER_NAME)) as string[][];
        const ok = replicas.some((fields) => {
          const info = new Map<string, string>();
          for (let f = 0; f + 1 < fields.length; f += 2) info.set(fields[f]!, fields[f + 1]!);
          return (
            info.get('port') === String(this.replicaPort) &&
            info.get('flags') === 'slave' &&
            info.get('master-link-status') === 'ok'
          );
        });
        if (ok) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error('the sentinel did not see the replica within 60 s');
    } finally {
      sentinel.disconnect();
    }
  }

  private spawnServer(port: number, extra: string[]): Promise<void> {
    return this.spawn(port, [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      // A replica's full sync writes dump.rdb to its directory (repl-diskless-load is off).
      '--dir',
      this.dir,
      ...extra,
    ]);
  }

  private async spawn(port: number, args: string[]): Promise<void> {
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    this.children.set(port, child);
    for (let i = 0; i < 200; i++) {
      if (await portOpen(port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`redis-server did not open port ${port}`);
  }

  private async kill(port: number): Promise<void> {
    const child = this.children.get(port);
    this.children.delete(port);
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
}
