import { watch } from 'node:fs';
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { buildImage, nodeBaseImage } from './podman.js';

/**
 * The container image build of a test run, started by the `image` project's global setup
 * (test/setup/image-setup.ts) when the run begins, so that it overlaps the unit and e2e files
 * instead of opening the container suite. It runs at the lowest CPU priority until the
 * container suite waits for it, then at normal priority.
 */
export interface ImageBuild {
  /** The tag the image gets. */
  tag: string;
  /** A private directory that receives `outcome.json` when the build has ended. */
  dir: string;
  /** The Vitest process: the build's processes are its descendants. */
  rootPid: number;
}

export type ImageBuildOutcome =
  { ok: true; base: string; runtime: string; seconds: number } | { ok: false; error: string };

const OUTCOME = 'outcome.json';
/** Niceness of the build while other files run: it only takes CPU time they leave idle. */
export const BACKGROUND_NICE = 19;

/** Build the base images and the image, then write the outcome; never rejects. */
export async function runImageBuild(build: ImageBuild): Promise<ImageBuildOutcome> {
  let outcome: ImageBuildOutcome;
  try {
    const started = Date.now();
    const base = await nodeBaseImage(true, BACKGROUND_NICE);
    const runtime = await nodeBaseImage(false, BACKGROUND_NICE);
    await buildImage(base, runtime, build.tag, BACKGROUND_NICE);
    outcome = { ok: true, base, runtime, seconds: (Date.now() - started) / 1000 };
  } catch (error) {
    outcome = { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
  // Written whole, then renamed: a reader never sees half a file.
  await writeFile(join(build.dir, `${OUTCOME}.tmp`), JSON.stringify(outcome));
  await rename(join(build.dir, `${OUTCOME}.tmp`), join(build.dir, OUTCOME));
  return outcome;
}

/** Resolve with the build's outcome once written (raising its priority meanwhile). */
export async function awaitImageBuild(
  build: ImageBuild,
  timeoutMs: number,
): Promise<ImageBuildOutcome> {
  const written = new Promise<void>((resolve, reject) => {
    const watcher = watch(build.dir, (_event, name) => {
      if (name !== OUTCOME) return;
      clearTimeout(timer);
      watcher.close();
      resolve();
    });
    const timer = setTimeout(() => {
      watcher.close();
      reject(new Error(`the image build (${build.tag}) did not end within ${timeoutMs} ms`));
    }, timeoutMs);
    // Written before the watch began: the event has passed, the file is there.
    void readdir(build.dir).then((names) => {
      if (!names.includes(OUTCOME)) return;
      clearTimeout(timer);
      watcher.close();
      resolve();
    });
  });
  // Again while waiting: a thread or process started by one not yet raised is niced too.
  let raising = true;
  void (async () => {
    while (raising) {
      await prioritize(build.rootPid);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
  })();
  await written.finally(() => (raising = false));
  return JSON.parse(await readFile(join(build.dir, OUTCOME), 'utf8')) as ImageBuildOutcome;
}

/**
 * Every thread of every niced descendant of `rootPid` back to niceness 0 (Linux niceness is
 * per thread). Where that is not allowed (not root), the build goes on at low priority.
 */
async function prioritize(rootPid: number): Promise<void> {
  const pending = [rootPid];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    const threads = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
    for (const tid of threads) {
      const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8').catch(() => '');
      // Field 19 is the niceness; fields counted after the command's closing parenthesis.
      const nice = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
      if (nice > 0) {
        try {
          setPriority(Number(tid), 0);
        } catch {
          return;
        }
      }
      const children = await readFile(`/proc/${pid}/task/${tid}/children`, 'utf8').catch(() => '');
      pending.push(...children.split(' ').filter(Boolean).map(Number));
    }
  }
}
