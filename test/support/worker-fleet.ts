import { spawn } from 'node:child_process';
import { ManagedProcess } from './managed-process.js';
import { freePort } from './redis-test-server.js';

/** One worker process standing in for a pod. */
interface Pod {
  name: string;
  port: number;
  process: ManagedProcess;
  /** SIGTERM sent: the pod is terminating (no longer in status.replicas). */
  terminating: boolean;
  /** The last readiness probe's answer. */
  ready: boolean;
}

export interface FleetOptions {
  /** The worker's entry script (the demo's compiled worker.main). */
  main: string;
  cwd: string;
  /** The container's environment (rendered ConfigMaps, the Secret's URLs). */
  env: Record<string, string>;
  /** terminationGracePeriodSeconds: SIGKILL after this long past SIGTERM. */
  graceMs: number;
  /** The pods' metrics endpoints changed (service discovery for Prometheus). */
  onTargets: (targets: string[]) => void;
  /** Every line a worker prints on stdout. */
  onLine: (line: string) => void;
}

/** How a terminated pod ended. */
export interface Termination {
  name: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** ms from SIGTERM to exit. */
  ms: number;
}

/**
 * A Deployment of worker processes: `scaleTo(n)` starts pods (each with its own
 * CELERIAC_HTTP_PORT, sharing the host's network) or terminates them as a ReplicaSet does
 * (unready pods first, then the newest), with SIGTERM and SIGKILL after the grace period.
 * Prometheus scrapes every pod that has not exited, as pod discovery would list it.
 */
export class WorkerFleet {
  private readonly pods: Pod[] = [];
  private readonly exits: Promise<Termination>[] = [];
  /** Pods that have exited after a termination, as they exited (for failure reports). */
  readonly exited: Termination[] = [];
  /** The last WARN / ERROR lines of every pod (for failure reports). */
  readonly problems: string[] = [];
  private started = 0;

  constructor(private readonly options: FleetOptions) {}

  /** status.replicas: pods that are not terminating. */
  get replicas(): number {
    return this.pods.filter((p) => !p.terminating).length;
  }

  /** Every pod that has not exited, terminating ones included. */
  get live(): number {
    return this.pods.length;
  }

  async scaleTo(replicas: number): Promise<void> {
    while (this.replicas < replicas) await this.startPod();
    while (this.replicas > replicas) {
      // A ReplicaSet removes unready pods first, then the most recently created ones.
      const newestFirst = this.pods.filter((p) => !p.terminating).reverse();
      this.terminate(newestFirst.find((p) => !p.ready) ?? newestFirst[0]!);
    }
  }

  /** Probe /health/ready of every pod (as the kubelet would); the count of ready pods. */
  async probeReady(timeoutMs: number): Promise<number> {
    await Promise.all(
      this.pods.map(async (pod) => {
        pod.ready = await fetch(`http://127.0.0.1:${pod.port}/health/ready`, {
          signal: AbortSignal.timeout(timeoutMs),
        }).then(
          (r) => r.ok,
          () => false,
        );
      }),
    );
    return this.pods.filter((p) => p.ready && !p.terminating).length;
  }

  /** Every pod terminated so far, once it has exited. */
  terminations(): Promise<Termination[]> {
    return Promise.all(this.exits);
  }

  /** Terminate every pod and wait for them to exit. */
  async shutdown(): Promise<Termination[]> {
    await this.scaleTo(0);
    return this.terminations();
  }

  private async startPod(): Promise<void> {
    const name = `worker-${++this.started}`;
    const port = await freePort();
    const child = spawn(process.execPath, [this.options.main], {
      cwd: this.options.cwd,
      env: {
        ...process.env,
        ...this.options.env,
        CELERIAC_HTTP_PORT: String(port),
        CELERIAC_HTTP_HOST: '127.0.0.1',
        CELERIAC_HOSTNAME: `${name}@%h`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let carry = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const lines = (carry + chunk.toString()).split('\n');
      carry = lines.pop()!;
      for (const line of lines) {
        this.options.onLine(line);
        if (/\b(WARN|ERROR)\b/.test(line)) this.problem(`${name}: ${line}`);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => this.problem(`${name} (stderr): ${chunk}`));
    const pod: Pod = {
      name,
      port,
      process: new ManagedProcess(name, child),
      terminating: false,
      ready: false,
    };
    this.pods.push(pod);
    void pod.process.exited.then(() => {
      if (carry) this.options.onLine(carry);
      this.pods.splice(this.pods.indexOf(pod), 1);
      this.publishTargets();
    });
    this.publishTargets();
  }

  private terminate(pod: Pod): void {
    pod.terminating = true;
    pod.ready = false;
    const at = Date.now();
    this.exits.push(
      pod.process.stop(this.options.graceMs).then(async () => {
        const { code, signal } = await pod.process.exited;
        const termination = { name: pod.name, code, signal, ms: Date.now() - at };
        this.exited.push(termination);
        return termination;
      }),
    );
  }

  private problem(line: string): void {
    // eslint-disable-next-line no-control-regex
    this.problems.push(line.replace(/\x1b\[[0-9;]*m/g, '').slice(0, 400));
    if (this.problems.length > 40) this.problems.shift();
  }

  private publishTargets(): void {
    this.options.onTargets(this.pods.map((p) => `127.0.0.1:${p.port}`));
  }
}
