import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './redis-test-server.js';
import { INTEROP_MAIN, interopWorkerArgs, ROOT as REPO_ROOT } from './interop-build.js';
import { PYTHON, PYTHON_FIXTURES as PY_FIXTURES } from './interop-processes.js';
import { ManagedProcess } from './managed-process.js';

const run = promisify(execFile);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export { killAllChildren, ManagedProcess } from './managed-process.js';

/** Options of {@link startNodeWorker}. */
export interface NodeWorkerOptions {
  broker: string;
  backend: string;
  queues: string[];
  /** Default `node-<uuid>@%h`. */
  hostname?: string;
  concurrency?: number;
}

/** Start the interop app (`dist/apps/interop/src/main.js`) as a worker; resolves once ready. */
export async function startNodeWorker(options: NodeWorkerOptions): Promise<ManagedProcess> {
  const hostname = options.hostname ?? `node-${randomUUID()}@%h`;
  const args = [INTEROP_MAIN, ...interopWorkerArgs({ ...options, hostname })];
  // dist/ may be rebuilt by a parallel build at any moment (tsc rewrites files in place): a
  // start that dies on a half-written module is retried.
  for (let attempt = 1; ; attempt++) {
    const child = spawn(process.execPath, args, {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    });
    const worker = new ManagedProcess(`node worker ${hostname}`, child, false);
    try {
      await worker.waitFor(/ready\./, 30_000);
      return worker;
    } catch (error) {
      await worker.kill('SIGKILL');
      if (attempt >= 3 || !/SyntaxError|ERR_MODULE/.test(worker.output)) throw error;
      await sleep(2_000);
    }
  }
}

/** Environment of the Python fixture app (`amqp_interop.py`). */
export interface PythonEnv {
  broker: string;
  backend?: string;
  maxPriority?: number;
}

function pythonEnv(env: PythonEnv): NodeJS.ProcessEnv {
  return {
    ...process.env,
    CELERIAC_BROKER: env.broker,
    CELERIAC_BACKEND: env.backend ?? '',
    CELERIAC_MAX_PRIORITY: env.maxPriority === undefined ? '' : String(env.maxPriority),
    PYTHONDONTWRITEBYTECODE: '1',
    PYTHONUNBUFFERED: '1',
  };
}

/** Start a real Celery 5.2.6 worker on the `amqp_interop` fixture app; resolves once ready. */
export async function startPythonWorker(
  env: PythonEnv,
  queue: string,
  concurrency = 2,
): Promise<ManagedProcess> {
  const name = `py-${randomUUID()}@%h`;
  const args = ['-m', 'celery', '-A', 'amqp_interop', 'worker', '-Q', queue];
  args.push('-c', String(concurrency), '-n', name, '--without-mingle', '--without-gossip');
  args.push('--without-heartbeat', '-l', 'INFO');
  const child = spawn(PYTHON, args, {
    cwd: PY_FIXTURES,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: pythonEnv(env),
    detached: true,
  });
  const worker = new ManagedProcess(`python worker ${name}`, child, true);
  await worker.waitFor(/ ready\./, 40_000);
  return worker;
}

/** One call of the Python client (`app.send_task`). */
export interface PythonCall {
  task: string;
  queue: string;
  args?: unknown[];
  kwargs?: Record<string, unknown>;
  countdown?: number;
  priority?: number;
  task_id?: string;
  /** Later steps: the call is applied as a Python `chain`, reported by its last result. */
  then?: (Pick<PythonCall, 'task' | 'queue' | 'args'> & { max_priority?: number })[];
  /** A link callback: the call is applied with `link=`, reported by its own result. */
  link?: Pick<PythonCall, 'task' | 'queue' | 'args'> & { max_priority?: number };
}

/** What the Python client saw for one call (`AsyncResult.get(propagate=False)`). */
export interface PythonOutcome {
  id: string;
  state?: string;
  result?: unknown;
  exc_type?: string;
  exc_message?: string;
  /** ISO time the result was stored (Redis backend; null over rpc:// in 5.2). */
  date_done?: string | null;
  /** Unix seconds just before the first send_task. */
  sent_at: number;
  error?: string;
}

/**
 * Run the Python client: send `calls` with `send_task` and, unless `wait` is false, wait for
 * their results in the same process (rpc:// results are only visible to the sender).
 */
export async function runPythonClient(
  env: PythonEnv,
  calls: PythonCall[],
  options: { wait?: boolean; timeout?: number } = {},
): Promise<PythonOutcome[]> {
  const spec = JSON.stringify({
    calls,
    wait: options.wait ?? true,
    timeout: options.timeout ?? 30,
  });
  const { stdout } = await run(PYTHON, ['amqp_interop.py', spec], {
    cwd: PY_FIXTURES,
    env: pythonEnv(env),
    timeout: ((options.timeout ?? 30) + 30) * 1000,
    maxBuffer: 16 << 20,
  });
  const line = stdout.trim().split('\n').pop() ?? '[]';
  return JSON.parse(line) as PythonOutcome[];
}

/**
 * A private RabbitMQ node (own node name, AMQP and distribution ports, data and log dirs), for
 * tests that restart the broker without disturbing the shared node on 5672.
 */
export class PrivateRabbitNode {
  private constructor(
    readonly nodename: string,
    readonly port: number,
    private readonly dir: string,
  ) {}

  /** `amqp://guest:guest@127.0.0.1:<port>/` (the default vhost). */
  get url(): string {
    return `amqp://guest:guest@127.0.0.1:${this.port}/`;
  }

  /** Start a node with no plugins; resolves once it accepts AMQP connections. */
  static async start(): Promise<PrivateRabbitNode> {
    const port = await freePort();
    let distPort = await freePort();
    while (distPort === port) distPort = await freePort();
    const dir = await mkdtemp(join(tmpdir(), 'celeriac-rmq-'));
    await chmod(dir, 0o777); // the server runs as the rabbitmq user
    await writeFile(join(dir, 'enabled_plugins'), '[].\n', { mode: 0o644 });
    // The system rabbitmq.conf binds 5672: give this node its own config file.
    await writeFile(
      join(dir, 'rabbitmq.conf'),
      `listeners.tcp.local = 127.0.0.1:${port}\nloopback_users = none\n`,
      { mode: 0o644 },
    );
    const node = new PrivateRabbitNode(
      `celeriac-test-${randomUUID().slice(0, 8)}@localhost`,
      port,
      dir,
    );
    await run('rabbitmq-server', ['-detached'], {
      timeout: 30_000,
      env: {
        ...process.env,
        RABBITMQ_NODENAME: node.nodename,
        RABBITMQ_NODE_PORT: String(port),
        RABBITMQ_DIST_PORT: String(distPort),
        RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
        RABBITMQ_LOG_BASE: join(dir, 'log'),
        RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
        RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
        RABBITMQ_SERVER_START_ARGS: `-kernel inet_dist_listen_min ${distPort} inet_dist_listen_max ${distPort}`,
      },
    });
    await node.awaitStartup().catch(async (error: unknown) => {
      await node.stop(); // never leave a half-started node behind
      throw error;
    });
    return node;
  }

  /** `rabbitmqctl -n <node> ...` */
  ctl(...args: string[]): Promise<string> {
    return run('rabbitmqctl', ['-q', '-n', this.nodename, ...args], { timeout: 60_000 }).then(
      (r) => r.stdout,
    );
  }

  /** Stop the RabbitMQ application (connections are closed; durable data stays). */
  async stopApp(): Promise<void> {
    await this.ctl('stop_app');
  }

  async startApp(): Promise<void> {
    await this.ctl('start_app');
    await this.awaitStartup();
  }

  /** Stop the node for good and delete its data. */
  async stop(): Promise<void> {
    await this.ctl('stop').catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true }).catch(() => undefined);
  }

  private async awaitStartup(): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        await this.ctl('await_startup', '--timeout', '30');
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await sleep(300);
      }
    }
  }
}
