import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/interop-build.js';
import { ensurePrometheus } from '../support/prometheus-server.js';

/**
 * The alerts of deploy/k8s (the PrometheusRule of the prometheus-operator component), checked by
 * Prometheus's own `promtool`: the rule file is valid, and the beat alert fires when no beat
 * holds the lease (all report 0, or none is scraped) and not while one does.
 */
const RULE_FILE = join(ROOT, 'deploy/k8s/components/prometheus-operator/prometheusrule.yaml');

interface Rule {
  alert?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleGroups {
  groups: { name: string; rules: Rule[] }[];
}

let dir: string;
let groups: RuleGroups;

beforeAll(() => {
  ensurePrometheus();
  dir = mkdtempSync(join(tmpdir(), 'celeriac-rules-'));
  groups = (parse(readFileSync(RULE_FILE, 'utf8')) as { spec: RuleGroups }).spec;
  writeFileSync(join(dir, 'rules.yaml'), stringify(groups));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function promtool(...args: string[]): { status: number | null; output: string } {
  const result = spawnSync('promtool', args, { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function rule(name: string): Rule {
  const found = groups.groups.flatMap((g) => g.rules).find((r) => r.alert === name);
  if (!found) throw new Error(`no alert ${name} in ${RULE_FILE}`);
  return found;
}

describe('deploy/k8s PrometheusRule', () => {
  it('passes promtool check rules', () => {
    const { status, output } = promtool('check', 'rules', 'rules.yaml');
    expect(output).toContain('SUCCESS');
    expect(status, output).toBe(0);
  });

  it('CeleriacBeatNoLeader fires when no beat holds the lease, and only then', () => {
    const noLeader = rule('CeleriacBeatNoLeader');
    const firing = [
      { exp_labels: noLeader.labels ?? {}, exp_annotations: noLeader.annotations ?? {} },
    ];
    // Two beat pods scraped every 15 s. beat-a leads for 10 min, then both report 0 (the store
    // is unreachable) for 10 min; then beat-b leads for 10 min; then neither is scraped.
    const tests = {
      rule_files: ['rules.yaml'],
      evaluation_interval: '15s',
      tests: [
        {
          interval: '15s',
          input_series: [
            { series: 'celeriac_beat_leader{pod="beat-a"}', values: '1x40 0x80 stale' },
            { series: 'celeriac_beat_leader{pod="beat-b"}', values: '0x80 1x40 stale' },
          ],
          alert_rule_test: [
            { eval_time: '9m', alertname: 'CeleriacBeatNoLeader', exp_alerts: [] },
            // No leader since 10 min: not yet after 1 min (a lease changing hands)...
            { eval_time: '11m', alertname: 'CeleriacBeatNoLeader', exp_alerts: [] },
            // ...but after the 2 min `for`.
            { eval_time: '13m', alertname: 'CeleriacBeatNoLeader', exp_alerts: firing },
            { eval_time: '25m', alertname: 'CeleriacBeatNoLeader', exp_alerts: [] },
            // No beat scraped at all since 30 min.
            { eval_time: '34m', alertname: 'CeleriacBeatNoLeader', exp_alerts: firing },
          ],
        },
      ],
    };
    writeFileSync(join(dir, 'beat.test.yaml'), stringify(tests));
    const { status, output } = promtool('test', 'rules', 'beat.test.yaml');
    expect(status, output).toBe(0);
  });
});
