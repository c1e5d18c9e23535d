import { readFileSync } from 'node:fs';

const CLOCK_TICKS = 100;

/** A process and its descendants (Linux /proc; a Celery prefork parent and its pool). */
export function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    const current = out[i]!;
    try {
      const children = readFileSync(`/proc/${current}/task/${current}/children`, 'utf8');
      for (const child of children.split(/\s+/).filter(Boolean)) out.push(Number(child));
    } catch {
      // the process is gone
    }
  }
  return out;
}

/** Sum of the peak RSS (VmHWM) of the processes, in MB. */
export function peakRssMb(pids: number[]): number {
  let kb = 0;
  for (const pid of pids) {
    try {
      const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      kb += Number(match?.[1] ?? 0);
    } catch {
      // the process is gone
    }
  }
  return kb / 1024;
}

/** CPU seconds (user + system) used so far by the processes. */
export function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) ticks += statTicks(`/proc/${pid}/stat`);
  return ticks / CLOCK_TICKS;
}

/**
 * CPU seconds used so far by a process's main thread only: the rest of {@link cpuSeconds} is
 * its other threads (for Node, V8's optimizing compiler and parallel garbage collection, and
 * libuv's pool).
 */
export function mainThreadCpuSeconds(pid: number): number {
  return statTicks(`/proc/${pid}/task/${pid}/stat`) / CLOCK_TICKS;
}

/** User + system clock ticks of a /proc stat file; 0 when the process is gone. */
function statTicks(path: string): number {
  try {
    const stat = readFileSync(path, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}
