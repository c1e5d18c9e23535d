import type { ChildProcess } from 'node:child_process';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A child process the tests started, with its merged output and a clean way to end it. */
export class ManagedProcess {
  private out = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    readonly label: string,
    readonly child: ChildProcess,
    /** Signal the whole process group (Celery's prefork children too). */
    private readonly group = false,
  ) {
    const collect = (chunk: Buffer): void => {
      this.out += chunk.toString();
      if (this.out.length > 2_000_000) this.out = this.out.slice(-1_000_000);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    LIVE.add(this);
    void this.exited.then(() => LIVE.delete(this));
  }

  get output(): string {
    return this.out;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolve once the output matches `pattern`; reject on exit or after `timeoutMs`. */
  async waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.out)) {
      if (!this.running)
        throw new Error(
          `${this.label} exited before ${String(pattern)}:\n${this.out.slice(-3000)}`,
        );
      if (Date.now() > deadline)
        throw new Error(
          `${this.label}: no ${String(pattern)} in ${timeoutMs} ms:\n${this.out.slice(-3000)}`,
        );
      await sleep(50);
    }
  }

  /** Send `signal` (to the process group for Python workers); resolves once it has exited. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.running || this.child.pid === undefined) return;
    try {
      process.kill(this.group ? -this.child.pid : this.child.pid, signal);
    } catch {
      // Already gone.
    }
    await this.exited;
  }

  /** SIGTERM, then SIGKILL if still running after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    const timer = setTimeout(() => void this.kill('SIGKILL'), graceMs);
    await this.kill('SIGTERM');
    clearTimeout(timer);
  }
}

const LIVE = new Set<ManagedProcess>();

/** Kill (SIGKILL) every child process started through this module that is still running. */
export async function killAllChildren(): Promise<void> {
  await Promise.all([...LIVE].map((p) => p.kill('SIGKILL')));
}

process.once('exit', () => {
  for (const p of LIVE) {
    const pid = p.child.pid;
    if (pid !== undefined && p.running) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
});
