import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { decodePythonJson } from '../../libs/task-queue/src/protocol/python-floats.js';
import { CLI_BIN, INTEROP_MAIN, interopWorkerArgs, ROOT } from './interop-build.js';
import { killAllChildren, ManagedProcess } from './managed-process.js';

/** The Python 5.2.6 interpreter with Celery installed. */
export const PYTHON = '/usr/bin/python3';
export const PYTHON_FIXTURES = join(ROOT, 'test/fixtures/python');

export { uniqueName } from './unique-name.js';

export { ManagedProcess } from './managed-process.js';

/** Stop every process this module started that is still running (afterAll safety net). */
export const stopAll = killAllChildren;

export interface NodeWorkerOptions {
  broker: string;
  backend: string;
  queues: string[];
  concurrency?: number;
  /** The worker's warm-shutdown timeout in ms; default 5,000. */
  shutdownTimeout?: number;
  /** Node name; default `node-<uuid>@%h`. */
  hostname?: string;
  /** Celery's worker_direct: also consume `<hostname>.dq2` (`--direct`). */
  direct?: boolean;
  /**
   * Run test/support/interop-resilient-worker.ts from source instead of the compiled app: it
   * applies kombu options in the broker URL query and prints `EVENT <type> <id>` lines.
   */
  resilient?: boolean;
}

/** Start the compiled interop worker (`dist/apps/interop/src/main.js`) and wait for its banner. */
export async function startNodeWorker(options: NodeWorkerOptions): Promise<ManagedProcess> {
  const hostname = options.hostname ?? `node-${randomUUID()}@%h`;
  const entry = options.resilient
    ? [
        join(ROOT, 'test/fixtures/transaction-run-ts.mjs'),
        join(ROOT, 'test/support/interop-resilient-worker.ts'),
      ]
    : [INTEROP_MAIN];
  const args = [...entry, ...interopWorkerArgs({ ...options, hostname })];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const worker = new ManagedProcess(`node worker ${hostname}`, child);
  await worker.waitFor(/ready\./);
  return worker;
}

/** How many `EVENT <type> <id>` lines a resilient worker printed. */
export function countEvents(worker: ManagedProcess, type: string, id: string): number {
  return worker.output.split('\n').filter((line) => line === `EVENT ${type} ${id}`).length;
}

export interface PythonWorkerOptions {
  broker: string;
  backend: string;
  queue: string;
  concurrency?: number;
  /** The Celery app module in test/fixtures/python; default `interop_app`. */
  app?: string;
  /** Extra environment variables (the app's settings). */
  env?: Record<string, string>;
  /** Send task events and heartbeats (`-E`, heartbeat on). */
  events?: boolean;
  /** `-P`; default Celery's (prefork). `solo` runs tasks in the main process: a SIGKILL ends them. */
  pool?: 'solo' | 'prefork';
}

/** Start a real Celery 5.2.6 worker on `interop_app` and wait for "ready.". */
export async function startPythonWorker(options: PythonWorkerOptions): Promise<ManagedProcess> {
  const hostname = `py-${randomUUID()}@%h`;
  const args = [
    '-m',
    'celery',
    '-A',
    options.app ?? 'interop_app',
    'worker',
    '-Q',
    options.queue,
    '-c',
    String(options.concurrency ?? 2),
    ...(options.pool ? ['-P', options.pool] : []),
    '-n',
    hostname,
    '--without-mingle',
    '--without-gossip',
    ...(options.events ? ['-E'] : ['--without-heartbeat']),
    '--prefetch-multiplier',
    '1',
    '-l',
    'INFO',
  ];
  const child = spawn(PYTHON, args, {
    cwd: PYTHON_FIXTURES,
    env: { ...pythonEnv(options.broker, options.backend), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const worker = new ManagedProcess(`python worker ${hostname}`, child);
  await worker.waitFor(/ready\./);
  return worker;
}

function pythonEnv(broker: string, backend: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PYTHONPATH: PYTHON_FIXTURES,
    PYTHONUNBUFFERED: '1',
    INTEROP_BROKER: broker,
    INTEROP_BACKEND: backend,
  };
}

/** What a finished child process printed. */
export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run a command to completion (killed after `timeoutMs`). */
export function runProcess(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? ROOT,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 45_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Run `test/fixtures/python/interop_client.py <command> <json>` (a Python Celery producer) and
 * parse the JSON line it prints.
 */
export async function runPythonClient<T>(
  broker: string,
  backend: string,
  command: string,
  input: unknown,
): Promise<T> {
  const result = await runProcess(
    PYTHON,
    [join(PYTHON_FIXTURES, 'interop_client.py'), command, JSON.stringify(input)],
    { env: pythonEnv(broker, backend), cwd: PYTHON_FIXTURES },
  );
  const last = result.stdout.trim().split('\n').pop() ?? '';
  if (result.code !== 0 || !last) {
    throw new Error(`interop_client.py ${command} exited ${result.code}:\n${result.stderr}`);
  }
  // Python's json writes float('nan') / float('±inf') as bare NaN / Infinity tokens.
  return decodePythonJson(last, 'interop_client.py output') as T;
}

/** Run the built `celeriac` bin. */
export function runCeleriac(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ProcessResult> {
  return runProcess(process.execPath, [CLI_BIN, ...args], { env: { ...process.env, ...env } });
}
