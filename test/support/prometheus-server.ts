import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

/** A private Prometheus on a free loopback port, scraping `targets` every second. */
export class PrometheusServer {
  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly url: string,
  ) {}

  static async start(targets: string[], metricsPath = '/metrics'): Promise<PrometheusServer> {
    const dir = mkdtempSync(join(tmpdir(), 'celeriac-prometheus-'));
    const port = await freePort();
    const config = [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 900ms',
      'scrape_configs:',
      '  - job_name: celeriac',
      `    metrics_path: ${metricsPath}`,
      '    static_configs:',
      `      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]`,
      '',
    ].join('\n');
    writeFileSync(join(dir, 'prometheus.yml'), config);
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
  async query(promql: string): Promise<{ labels: Record<string, string>; value: number }[]> {
    const response = await fetch(`${this.url}/api/v1/query?query=${encodeURIComponent(promql)}`);
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
