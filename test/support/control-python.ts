import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** test/fixtures/python: the Celery apps of the control / events specs. */
export const PYTHON_FIXTURES = fileURLToPath(new URL('../fixtures/python/', import.meta.url));
export const PYTHON = '/usr/bin/python3';

/** Run `python3 -m celery -b <url> <args...>` and resolve its stdout (and stderr). */
export async function celeryCli(brokerUrl: string, ...args: string[]): Promise<string> {
  const { stdout, stderr } = await run(PYTHON, ['-m', 'celery', '-b', brokerUrl, ...args], {
    timeout: 30_000,
    cwd: PYTHON_FIXTURES,
  }).catch((error: { stdout?: string; stderr?: string }) => ({
    stdout: error.stdout ?? '',
    stderr: error.stderr ?? '',
  }));
  return `${stdout}\n${stderr}`;
}

/** A Python Celery worker of control_app.py on one queue, killed by `stop()`. */
export function startPythonWorker(
  brokerUrl: string,
  queue: string,
  nodename: string,
  backendUrl?: string,
): ChildProcess {
  const child = spawn(
    PYTHON,
    [
      '-m',
      'celery',
      '-A',
      'control_app',
      'worker',
      '-Q',
      queue,
      '-n',
      nodename,
      '-c',
      '1',
      '-l',
      'WARNING',
    ],
    {
      cwd: PYTHON_FIXTURES,
      env: {
        ...process.env,
        CELERY_BROKER_URL: brokerUrl,
        ...(backendUrl ? { CELERY_RESULT_BACKEND: backendUrl } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout?.resume();
  child.stderr?.resume();
  return child;
}

/** Python events receiver (control_events.py): every event it gets, as parsed JSON. */
export class PythonEventReceiver {
  readonly events: Array<Record<string, unknown>> = [];
  private readonly child: ChildProcess;
  private buffered = '';

  constructor(brokerUrl: string) {
    this.child = spawn(PYTHON, ['control_events.py', brokerUrl], {
      cwd: PYTHON_FIXTURES,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stderr?.resume();
    this.child.stdout?.on('data', (chunk: Buffer) => {
      this.buffered += chunk.toString('utf8');
      const lines = this.buffered.split('\n');
      this.buffered = lines.pop() ?? '';
      for (const line of lines) {
        try {
          this.events.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // not an event line
        }
      }
    });
  }

  /** Resolve the first event matching `predicate`, or reject after `timeoutMs`. */
  async waitFor(
    predicate: (event: Record<string, unknown>) => boolean,
    timeoutMs = 15_000,
  ): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(predicate);
      if (found) return found;
      if (Date.now() > deadline) {
        const types = this.events.map((e) => `${String(e.type)}@${String(e.hostname)}`);
        throw new Error(`No matching event within ${timeoutMs} ms; got: ${types.join(', ')}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(): Promise<void> {
    await killChild(this.child);
  }
}

/** SIGTERM a child, SIGKILL it if still alive after `graceMs`. */
export async function killChild(child: ChildProcess | undefined, graceMs = 5000): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Poll `probe` until it resolves true, or throw after `timeoutMs`. */
export async function eventually(
  probe: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
}
