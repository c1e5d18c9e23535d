import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { portOpen } from '../setup/services.js';
import { freePort } from './redis-test-server.js';

const run = promisify(execFile);

/**
 * A private MariaDB server (Debian's mariadbd) on its own loopback port and data directory, for
 * server start-up options the shared 3306 server cannot change at run time (such as
 * `--innodb-rollback-on-timeout`). root has no password; nothing is shared with other tests.
 */
export class PrivateMariaDbServer {
  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly child: ChildProcess,
  ) {}

  /** Initialise a data directory and start the server with `options` (mariadbd flags). */
  static async start(options: string[] = []): Promise<PrivateMariaDbServer> {
    const dir = mkdtempSync(join(tmpdir(), 'celeriac-mariadb-'));
    const data = join(dir, 'data');
    await run('mariadb-install-db', [
      '--no-defaults',
      `--datadir=${data}`,
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
      ...asRoot(),
    ]);
    const port = await freePort();
    const child = spawn(
      'mariadbd',
      [
        '--no-defaults',
        `--datadir=${data}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        `--socket=${join(dir, 'mysqld.sock')}`,
        `--pid-file=${join(dir, 'mysqld.pid')}`,
        '--skip-log-bin',
        '--innodb-buffer-pool-size=16M',
        ...asRoot(),
        ...options,
      ],
      { stdio: 'ignore' },
    );
    const server = new PrivateMariaDbServer(port, dir, child);
    for (let i = 0; i < 300; i++) {
      if (child.exitCode !== null) break;
      if (await portOpen(port)) return server;
      await new Promise((r) => setTimeout(r, 50));
    }
    await server.destroy();
    throw new Error(`private mariadbd did not open port ${port} (flags: ${options.join(' ')})`);
  }

  /** Stop the server and delete its data directory. */
  async destroy(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGKILL');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** mariadbd refuses to run as root unless told to. */
function asRoot(): string[] {
  return process.getuid?.() === 0 ? ['--user=root'] : [];
}
