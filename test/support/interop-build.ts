import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync, statSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** The repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The compiled interop worker and the `celeriac` bin's target, which the e2e suites spawn. */
export const INTEROP_MAIN = join(ROOT, 'dist/apps/interop/src/main.js');
/** The compiled worker-only entry of the demo (`npm run start:worker`). */
export const WORKER_MAIN = join(ROOT, 'dist/apps/demo/src/worker.main.js');
export const CLI_BIN = join(ROOT, 'libs/task-queue/bin/celeriac.js');
const CLI_MAIN = join(ROOT, 'libs/task-queue/dist/cli/main.js');
/** The isolate-pool fixture module (apps/pools) that pool isolates boot. */
export const POOLS_MODULE = join(ROOT, 'dist/apps/pools/src/pool-isolate.module.js');
const OUTPUTS = [
  INTEROP_MAIN,
  WORKER_MAIN,
  CLI_MAIN,
  POOLS_MODULE,
  join(ROOT, 'libs/task-queue/dist/index.js'),
  join(ROOT, 'libs/task-queue/dist/worker/pool/isolate-entry.js'),
];
const SOURCES = [
  join(ROOT, 'libs/task-queue/src'),
  join(ROOT, 'apps/interop/src'),
  join(ROOT, 'apps/demo/src'),
  join(ROOT, 'apps/pools/src'),
];
const LOCK = join(tmpdir(), 'celeriac-e2e-build.lock');
const LOCK_STALE_MS = 180_000;

const run = promisify(execFile);

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) {
      newest = Math.max(newest, statSync(path).mtimeMs);
    }
  }
  return newest;
}

function stale(): boolean {
  if (!OUTPUTS.every((path) => existsSync(path))) return true;
  const built = Math.min(...OUTPUTS.map((path) => statSync(path).mtimeMs));
  return Math.max(...SOURCES.map(newestMtime)) > built;
}

async function withLock<T>(body: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + LOCK_STALE_MS;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      if (existsSync(LOCK) && Date.now() - statSync(LOCK).mtimeMs > LOCK_STALE_MS) {
        rmdirSync(LOCK);
        continue;
      }
      if (Date.now() > deadline) throw new Error(`build lock ${LOCK} was not released`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    return await body();
  } finally {
    rmdirSync(LOCK);
  }
}

/**
 * Make sure dist/ holds an up-to-date build of the library and the interop app (tsc -b +
 * asset copy), building at most once at a time across parallel test files. A build with type
 * errors elsewhere in the tree still emits; it only fails the suite when the outputs are missing.
 */
export async function ensureBuilt(): Promise<void> {
  if (!stale()) return;
  await withLock(async () => {
    if (!stale()) return;
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    try {
      await run(process.execPath, [tsc, '-b', 'tsconfig.build.json'], { cwd: ROOT });
    } catch (error) {
      if (!OUTPUTS.every((path) => existsSync(path))) throw error;
      const output = (error as { stdout?: string }).stdout ?? '';
      console.warn(`[e2e] tsc -b reported errors (outputs emitted anyway):\n${output}`);
    }
    await run(process.execPath, ['libs/task-queue/scripts/copy-assets.mjs'], { cwd: ROOT });
  });
}

/** Where and how one interop worker (apps/interop) runs. */
export interface InteropWorkerArgs {
  broker: string;
  backend: string;
  queues: string[];
  hostname: string;
  concurrency?: number;
  /** The worker's warm-shutdown timeout in ms; default 5,000. */
  shutdownTimeout?: number;
  /** Celery's worker_direct: also consume `<hostname>.dq2` (`--direct`). */
  direct?: boolean;
}

/** The command-line arguments of the interop worker (after its entry script). */
export function interopWorkerArgs(options: InteropWorkerArgs): string[] {
  return [
    '--broker',
    options.broker,
    '--backend',
    options.backend,
    '--queues',
    options.queues.join(','),
    '--hostname',
    options.hostname,
    '--concurrency',
    String(options.concurrency ?? 4),
    '--shutdown-timeout',
    String(options.shutdownTimeout ?? 5_000),
    ...(options.direct ? ['--direct'] : []),
  ];
}
