import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';

/**
 * Where a worker child's memory is at its RSS peak. Preload it into the Node workers with
 * `--worker-node-options "--import ./dist/apps/bench/src/heap-probe.js"`: it samples
 * `process.memoryUsage()` and V8's heap spaces every 20 ms and, when the child exits, writes the
 * sample of the highest RSS, with VmHWM, RssAnon and RssFile from /proc, to
 * `$BENCH_HEAP_PROBE_DIR/heap-<pid>.json` (default: the OS temp directory). Not loaded otherwise.
 */

const MB = 1024 * 1024;
const SAMPLE_MS = 20;

/** One sample, in MB; `spaces` maps a V8 heap space to [committed physical, used]. */
interface HeapSample {
  atMs: number;
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  malloced: number;
  spaces: Record<string, [number, number]>;
}

function sample(): HeapSample {
  const usage = process.memoryUsage();
  const spaces: Record<string, [number, number]> = {};
  for (const space of getHeapSpaceStatistics()) {
    spaces[space.space_name] = [space.physical_space_size / MB, space.space_used_size / MB];
  }
  return {
    atMs: Math.round(process.uptime() * 1000),
    rss: usage.rss / MB,
    heapTotal: usage.heapTotal / MB,
    heapUsed: usage.heapUsed / MB,
    external: usage.external / MB,
    arrayBuffers: usage.arrayBuffers / MB,
    malloced: getHeapStatistics().malloced_memory / MB,
    spaces,
  };
}

/** VmHWM, VmRSS, RssAnon and RssFile of this process, in MB. */
function procStatus(): Record<string, number> {
  const status = readFileSync('/proc/self/status', 'utf8');
  const out: Record<string, number> = {};
  for (const match of status.matchAll(/^(VmHWM|VmRSS|RssAnon|RssFile):\s+(\d+) kB/gm)) {
    out[match[1]!] = Number(match[2]) / 1024;
  }
  return out;
}

let peak = sample();
setInterval(() => {
  const now = sample();
  if (now.rss > peak.rss) peak = now;
}, SAMPLE_MS).unref();

process.on('exit', () => {
  const dir = process.env.BENCH_HEAP_PROBE_DIR ?? tmpdir();
  const report = { argv: process.argv.slice(2), status: procStatus(), peak, end: sample() };
  writeFileSync(join(dir, `heap-${process.pid}.json`), JSON.stringify(report));
});
