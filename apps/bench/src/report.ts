import { median } from './load.js';
import type { ScenarioResult } from './scenarios.js';

/**
 * Medians over the repeats of one system / broker / scenario: the measurements of
 * {@link ScenarioResult} (documented there), each the median of the runs without error
 * (`peakRssMb`: the largest; `commands`: the first run's).
 */
export interface Summary extends Pick<
  ScenarioResult,
  | 'system'
  | 'broker'
  | 'scenario'
  | 'n'
  | 'rate'
  | 'p50'
  | 'p99'
  | 'p99Cold'
  | 'peakRssMb'
  | 'cpuPct'
  | 'cpuUsPerTask'
  | 'mainUsPerTask'
  | 'producerUsPerTask'
  | 'redisUsPerTask'
  | 'commands'
> {
  /** Repeats without error. */
  runs: number;
  /** Every repeat's rate, for spread. */
  rates: number[];
  errors: string[];
}

/** Group the results and take medians. */
export function summarize(results: ScenarioResult[]): Summary[] {
  const groups = new Map<string, ScenarioResult[]>();
  for (const r of results) {
    const key = `${r.system}|${r.broker}|${r.scenario}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((rs) => {
    const ok = rs.filter((r) => !r.error);
    const pick = (f: (r: ScenarioResult) => number | undefined): number | undefined => {
      const values = ok.map(f).filter((v): v is number => v !== undefined);
      return values.length ? median(values) : undefined;
    };
    return {
      system: rs[0]!.system,
      broker: rs[0]!.broker,
      scenario: rs[0]!.scenario,
      n: rs[0]!.n,
      runs: ok.length,
      rate: pick((r) => r.rate),
      p50: pick((r) => r.p50),
      p99: pick((r) => r.p99),
      p99Cold: pick((r) => r.p99Cold),
      peakRssMb: ok.length ? Math.max(...ok.map((r) => r.peakRssMb ?? 0)) || undefined : undefined,
      cpuPct: pick((r) => r.cpuPct),
      cpuUsPerTask: pick((r) => r.cpuUsPerTask),
      mainUsPerTask: pick((r) => r.mainUsPerTask),
      producerUsPerTask: pick((r) => r.producerUsPerTask),
      redisUsPerTask: pick((r) => r.redisUsPerTask),
      rates: ok.map((r) => Math.round(r.rate ?? 0)),
      commands: ok.find((r) => r.commands)?.commands,
      errors: rs.filter((r) => r.error).map((r) => r.error!),
    };
  });
}

/** A ratio line between two systems for one broker / scenario. */
export interface Ratio {
  label: string;
  value: number | undefined;
  /** Target the issue states (≥), when any. */
  target?: number;
}

/** The ratios the issues ask for. */
export function ratios(summaries: Summary[]): Ratio[] {
  const find = (system: string, broker: string, scenario: string): Summary | undefined =>
    summaries.find((s) => s.system === system && s.broker === broker && s.scenario === scenario);
  const rate = (system: string, broker: string, scenario: string): number | undefined =>
    find(system, broker, scenario)?.rate;
  const ratio = (a?: number, b?: number): number | undefined => (a && b ? a / b : undefined);
  const out: Ratio[] = [];
  for (const scenario of ['e2e', 'drain', 'enqueue']) {
    const target = scenario === 'enqueue' ? undefined : 2;
    out.push({
      label: `Celeriac/BullMQ redis ${scenario}`,
      value: ratio(rate('celeriac', 'redis', scenario), rate('bullmq', 'redis', scenario)),
      target,
    });
  }
  for (const broker of ['redis', 'amqp']) {
    for (const scenario of ['e2e', 'drain']) {
      out.push({
        label: `Celeriac/Celery ${broker} ${scenario}`,
        value: ratio(rate('celeriac', broker, scenario), rate('celery', broker, scenario)),
        target: broker === 'amqp' ? 4 : undefined,
      });
    }
  }
  // The realistic workload (interop.add, extended results kept).
  for (const scenario of ['e2e', 'drain']) {
    out.push({
      label: `add: Celeriac/BullMQ redis ${scenario}`,
      value: ratio(rate('celeriac-add', 'redis', scenario), rate('bullmq-add', 'redis', scenario)),
      target: 2,
    });
  }
  // Python-produced (drain-py) and Python-shaped (e2e-py) against BullMQ's own drain / e2e.
  for (const [py, bull] of [
    ['drain-py', 'drain'],
    ['e2e-py', 'e2e'],
  ] as const) {
    out.push({
      label: `add: Celeriac ${py}/BullMQ ${bull} redis`,
      value: ratio(rate('celeriac-add', 'redis', py), rate('bullmq-add', 'redis', bull)),
      target: 2,
    });
  }
  for (const broker of ['redis', 'amqp']) {
    for (const scenario of ['e2e', 'drain-py', 'e2e-py']) {
      out.push({
        label: `add: Celeriac/Celery ${broker} ${scenario}`,
        value: ratio(rate('celeriac-add', broker, scenario), rate('celery-add', broker, scenario)),
        target: broker === 'redis' ? 20 : scenario.startsWith('e2e') ? 5 : undefined,
      });
    }
    for (const scenario of ['e2e', 'drain-py', 'e2e-py']) {
      out.push({
        label: `add: task events on/off ${broker} ${scenario} rate`,
        value: ratio(
          rate('celeriac-add-E', broker, scenario),
          rate('celeriac-add', broker, scenario),
        ),
      });
      out.push({
        label: `add: task events on/off ${broker} ${scenario} CPU/task`,
        value: ratio(
          find('celeriac-add-E', broker, scenario)?.cpuUsPerTask,
          find('celeriac-add', broker, scenario)?.cpuUsPerTask,
        ),
      });
    }
  }
  for (const broker of ['redis', 'amqp']) {
    for (const scenario of ['drain', 'drain-py']) {
      out.push({
        label: `add: tracing 100 %/off ${broker} ${scenario} rate`,
        value: ratio(
          rate('celeriac-add-T', broker, scenario),
          rate('celeriac-add', broker, scenario),
        ),
        target: 0.9,
      });
      out.push({
        label: `add: tracing 100 %/off ${broker} ${scenario} CPU/task`,
        value: ratio(
          find('celeriac-add-T', broker, scenario)?.cpuUsPerTask,
          find('celeriac-add', broker, scenario)?.cpuUsPerTask,
        ),
      });
    }
  }
  for (const broker of ['redis', 'amqp']) {
    out.push({
      label: `add: metrics on/off ${broker} drain rate`,
      value: ratio(rate('celeriac-add-M', broker, 'drain'), rate('celeriac-add', broker, 'drain')),
      target: 0.97,
    });
    out.push({
      label: `add: metrics on/off ${broker} drain CPU/task`,
      value: ratio(
        find('celeriac-add-M', broker, 'drain')?.cpuUsPerTask,
        find('celeriac-add', broker, 'drain')?.cpuUsPerTask,
      ),
    });
  }
  return out.filter((r) => r.value !== undefined);
}

/** Print the table, ratios and target checks. */
export function printReport(summaries: Summary[]): void {
  const header = [
    'system',
    'broker',
    'scenario',
    'n',
    'runs',
    'rate/s',
    'p50 ms',
    'p99 ms',
    'RSS MB',
    'CPU %',
    'CPU µs/task',
    'main thread',
    'producer µs/task',
    'Redis µs/task',
    'rates',
  ];
  const rows = summaries.map((s) => [
    s.system,
    s.broker,
    s.scenario,
    String(s.n),
    String(s.runs),
    fmt(s.rate, 0),
    fmt(s.p50, 2),
    fmt(s.p99, 2),
    fmt(s.peakRssMb, 0),
    fmt(s.cpuPct, 0),
    fmt(s.cpuUsPerTask, 0),
    fmt(s.mainUsPerTask, 0),
    fmt(s.producerUsPerTask, 0),
    fmt(s.redisUsPerTask, 0),
    s.rates.join(' ') + (s.errors.length ? ` (${s.errors.length} failed)` : ''),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const row of rows) console.log(line(row));
  console.log('\nRatios (medians):');
  for (const r of ratios(summaries)) {
    const verdict = r.target
      ? r.value! >= r.target
        ? `  target ≥ ${r.target}×: met`
        : `  target ≥ ${r.target}×: NOT met`
      : '';
    console.log(`  ${r.label.padEnd(44)} ${r.value!.toFixed(2)}×${verdict}`);
  }
  const latencies = summaries.filter(
    (s) => s.system.startsWith('celeriac') && s.scenario === 'latency' && s.p99 !== undefined,
  );
  for (const lat of latencies) {
    const label = `${lat.system} ${lat.broker} p99 at offered load`;
    console.log(
      `  ${label.padEnd(44)} ${lat.p99!.toFixed(2)} ms  target < 5 ms: ${lat.p99! < 5 ? 'met' : 'NOT met'}`,
    );
  }
  const rss = summaries.filter((s) => s.system.startsWith('celeriac') && s.peakRssMb);
  if (rss.length) {
    const peak = Math.max(...rss.map((s) => s.peakRssMb!));
    console.log(
      `  ${'Celeriac worker peak RSS'.padEnd(44)} ${peak.toFixed(0)} MB  target < 130 MB: ${peak < 130 ? 'met' : 'NOT met'}`,
    );
  }
  const withCommands = summaries.filter((s) => s.commands);
  if (withCommands.length)
    console.log('\nRedis commands per task (e2e, server-wide INFO commandstats deltas):');
  for (const s of withCommands) {
    const parts = Object.entries(s.commands!).map(([k, v]) => `${k}=${v}`);
    console.log(`  ${s.system.padEnd(9)} ${parts.join(' ')}`);
  }
}

function fmt(value: number | undefined, digits: number): string {
  return value === undefined ? '-' : value.toFixed(digits);
}
