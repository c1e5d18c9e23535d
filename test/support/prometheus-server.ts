import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './redis-test-server.js';

/**
 * Debian's `prometheus` package (prometheus and promtool): installed with apt-get when missing
 * and the tests run as root, else the suite fails saying what to install.
 */
export function ensurePrometheus(): void {
  const has = (bin: string): boolean => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;
  if (has('prometheus') && has('promtool')) return;
  if (process.getuid?.() !== 0) {
    throw new Error('These tests need prometheus and promtool: apt-get install prometheus');
  }
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'prometheus'], {
    stdio: 'ignore',
    timeout: 300_000,
  });
}

/** `promtool check metrics` on an exposition: its findings (empty when clean). */
export function promtoolCheckMetrics(exposition: string): string {
  const result = spawnSync('promtool', ['check', 'metrics'], { input: exposition });
  return `${result.stdout.toString()}${result.stderr.toString()}`.trim();
}

/** How a private Prometheus scrapes: the interval (Prometheus duration), and the metrics path. */
export interface ScrapeOptions {
  /** Default `1s`; the timeout is 90 % of it. */
  interval?: string;
  metricsPath?: string;
}

/**
 * A private Prometheus on a free loopback port. Its targets come from a file (`file_sd_configs`,
 * as service discovery hands pods to a real one), so `setTargets` can change them while it runs.
 */
export class PrometheusServer {
  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly url: string,
  ) {}

  static async start(targets: string[], options: ScrapeOptions = {}): Promise<PrometheusServer> {
    const { interval = '1s', metricsPath = '/metrics' } = options;
    const dir = mkdtempSync(join(tmpdir(), 'celeriac-prometheus-'));
    const port = await freePort();
    const intervalMs = durationMs(interval);
    const config = [
      'global:',
      `  scrape_interval: ${interval}`,
      `  scrape_timeout: ${Math.floor(intervalMs * 0.9)}ms`,
      'scrape_configs:',
      '  - job_name: celeriac',
      `    metrics_path: ${metricsPath}`,
      '    file_sd_configs:',
      `      - files: ['${join(dir, 'targets.json')}']`,
      '',
    ].join('\n');
    writeFileSync(join(dir, 'prometheus.yml'), config);
    writeTargets(dir, targets);
    const child = spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: 'ignore' },
    );
    const server = new PrometheusServer(child, dir, `http://127.0.0.1:${port}`);
    const deadline = Date.now() + 30_000;
    while (
      !(await fetch(`${server.url}/-/ready`).then(
        (r) => r.ok,
        () => false,
      ))
    ) {
      if (child.exitCode !== null) throw new Error('prometheus exited at start');
      if (Date.now() > deadline) throw new Error('prometheus was not ready within 30 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    return server;
  }

  /** The result of an instant PromQL query: one value per series, keyed by its labels. */
  async query(
    promql: string,
    /** Evaluation time, epoch seconds (default: now). */
    time?: number,
  ): Promise<{ labels: Record<string, string>; value: number }[]> {
    const at = time === undefined ? '' : `&time=${time}`;
    const response = await fetch(
      `${this.url}/api/v1/query?query=${encodeURIComponent(promql)}${at}`,
    );
    const body = (await response.json()) as {
      status: string;
      error?: string;
      data: { result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    if (body.status !== 'success') throw new Error(`PromQL ${promql}: ${body.error}`);
    return body.data.result.map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
  }

  /** The single value of a query, or undefined when it has no series. */
  async value(promql: string): Promise<number | undefined> {
    const [first] = await this.query(promql);
    return first?.value;
  }

  /** Replace the scrape targets (`host:port`); Prometheus picks the file change up at once. */
  setTargets(targets: string[]): void {
    writeTargets(this.dir, targets);
  }

  /** Scrape health of the targets (`up`, last error and duration). */
  async targets(): Promise<{ health: string; lastError: string; lastScrapeDuration: number }[]> {
    const response = await fetch(`${this.url}/api/v1/targets`);
    const body = (await response.json()) as {
      data: {
        activeTargets: { health: string; lastError: string; lastScrapeDuration: number }[];
      };
    };
    return body.data.activeTargets;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Write the file_sd targets file atomically (a rename), so Prometheus never reads half of it. */
function writeTargets(dir: string, targets: string[]): void {
  const file = join(dir, 'targets.json');
  writeFileSync(`${file}.tmp`, JSON.stringify([{ targets, labels: {} }]));
  renameSync(`${file}.tmp`, file);
}

/** A Prometheus duration such as `750ms`, `1s` or `1m`, in milliseconds. */
function durationMs(duration: string): number {
  const match = /^(\d+)(ms|s|m)$/.exec(duration);
  if (!match) throw new Error(`unsupported scrape interval ${duration}`);
  return Number(match[1]) * { ms: 1, s: 1000, m: 60_000 }[match[2] as 'ms' | 's' | 'm'];
}
