import { type ChildProcess, spawn } from 'node:child_process';
import type { ChildMessage, WorkerChildConfig } from './ipc.js';
import { cpuSeconds, mainThreadCpuSeconds, peakRssMb } from './proc-stats.js';
import {
  type DoneInfo,
  progressPrinter,
  type WorkerHandle,
  type WorkerUsage,
} from './worker-handle.js';

/** Which worker entry to run. */
export type NodeWorkerKind = 'celeriac' | 'bullmq';

/** How a Node worker child is started. */
export interface NodeWorkerOptions {
  /** Node options (e.g. `--max-semi-space-size=4`). */
  nodeOptions: readonly string[];
  /** Run it under `node --cpu-prof`, writing the profile here. */
  cpuProfDir?: string;
}

/** A Node worker child (workers/<kind>-worker.js) driven over IPC. */
export class NodeWorkerProcess implements WorkerHandle {
  private readonly listeners = new Set<(message: ChildMessage) => void>();
  private cpuAtStart = 0;
  private mainCpuAtStart = 0;
  private expect = 0;
  private exited = false;
  /** A "done" that arrived before anyone waited for it (the worker can finish first). */
  private early?: ChildMessage;

  private constructor(
    private readonly child: ChildProcess,
    private readonly label: string,
  ) {
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'done') this.early = message;
      for (const listener of [...this.listeners]) listener(message);
    });
    child.on('exit', () => (this.exited = true));
  }

  static async spawn(
    kind: NodeWorkerKind,
    config: WorkerChildConfig,
    label: string,
    options: NodeWorkerOptions,
  ): Promise<NodeWorkerProcess> {
    const script = new URL(`./workers/${kind}-worker.js`, import.meta.url).pathname;
    const flags = [
      ...options.nodeOptions,
      ...(options.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfDir] : []),
    ];
    const child = spawn(process.execPath, [...flags, script, JSON.stringify(config)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const handle = new NodeWorkerProcess(child, label);
    await handle.next('ready', 30_000);
    return handle;
  }

  async start(expect: number, track: boolean): Promise<void> {
    this.expect = expect;
    this.early = undefined;
    const started = this.next('started', 30_000);
    this.child.send({ type: 'start', expect, track });
    await started;
    this.cpuAtStart = cpuSeconds([this.child.pid!]);
    this.mainCpuAtStart = mainThreadCpuSeconds(this.child.pid!);
  }

  async waitDone(timeoutMs: number): Promise<DoneInfo> {
    const done = this.early ?? (await this.next('done', timeoutMs));
    if (done.type !== 'done') throw new Error('unexpected message');
    return done;
  }

  usage(): WorkerUsage {
    const pid = this.child.pid!;
    return {
      peakRssMb: peakRssMb([pid]),
      cpuSeconds: cpuSeconds([pid]) - this.cpuAtStart,
      mainThreadCpuSeconds: mainThreadCpuSeconds(pid) - this.mainCpuAtStart,
    };
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.send({ type: 'stop' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  /** The next message of `type` (progress lines meanwhile); rejects on error, exit or timeout. */
  private next(type: ChildMessage['type'], timeoutMs: number): Promise<ChildMessage> {
    return new Promise((resolve, reject) => {
      let total = 0;
      const progress = progressPrinter(this.label, this.expect);
      const finish = (error: Error | null, message?: ChildMessage): void => {
        clearTimeout(timer);
        this.listeners.delete(listener);
        this.child.off('exit', onExit);
        if (error) reject(error);
        else resolve(message!);
      };
      const listener = (message: ChildMessage): void => {
        if (message.type === type) finish(null, message);
        else if (message.type === 'error') finish(new Error(`${this.label}: ${message.message}`));
        else if (message.type === 'progress') progress((total = message.count));
      };
      const onExit = (code: number | null): void =>
        finish(new Error(`${this.label}: worker exited (code ${code}) before "${type}"`));
      const timer = setTimeout(
        () => finish(new Error(`${this.label}: no "${type}" within ${timeoutMs} ms (${total})`)),
        timeoutMs,
      );
      this.listeners.add(listener);
      this.child.once('exit', onExit);
    });
  }
}
