import type { Redis } from 'ioredis';

/** `INFO commandstats` as command → calls (server-wide: other clients add noise). */
export async function commandStats(client: Redis): Promise<Map<string, number>> {
  const text = await client.info('commandstats');
  const out = new Map<string, number>();
  for (const match of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    out.set(match[1]!, Number(match[2]));
  }
  return out;
}

/** Calls per task between two snapshots, largest first, ≥ 0.01 per task; plus `total`. */
export function perTask(
  before: Map<string, number>,
  after: Map<string, number>,
  tasks: number,
): Record<string, number> {
  const rows: [string, number][] = [];
  let total = 0;
  for (const [name, calls] of after) {
    const delta = calls - (before.get(name) ?? 0);
    if (name === 'info' || delta <= 0) continue;
    total += delta;
    if (delta / tasks >= 0.01) rows.push([name, round(delta / tasks)]);
  }
  rows.sort((a, b) => b[1] - a[1]);
  return { total: round(total / tasks), ...Object.fromEntries(rows) };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

/** Redis server CPU seconds so far (`INFO cpu`, user + sys; server-wide: other clients add noise). */
export async function redisCpuSeconds(client: Redis): Promise<number> {
  const text = await client.info('cpu');
  const user = /^used_cpu_user:([\d.]+)/m.exec(text);
  const sys = /^used_cpu_sys:([\d.]+)/m.exec(text);
  return Number(user?.[1] ?? 0) + Number(sys?.[1] ?? 0);
}
