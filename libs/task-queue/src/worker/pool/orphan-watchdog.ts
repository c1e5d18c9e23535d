import { Worker } from 'node:worker_threads';

/** How often the watchdog looks at the parent, in ms. */
const CHECK_EVERY_MS = 500;

/**
 * Runs in its own thread, so it works while the isolate's main thread spins in a synchronous
 * task: once the parent is gone (re-parented, or no such pid), SIGKILL the whole process.
 * `fs.writeSync` because the main thread, which relays a worker thread's stderr, is blocked.
 */
const WATCHDOG_SOURCE = `
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const { parent, everyMs } = workerData;
function parentAlive() {
  if (process.ppid !== parent) return false;
  try {
    process.kill(parent, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}
setInterval(() => {
  if (parentAlive()) return;
  try {
    writeSync(2, 'celeriac: pool child ' + process.pid + ' exits: its worker (pid ' + parent +
      ') is gone, and the task it was running is lost with it.\\n');
  } catch {}
  process.kill(process.pid, 'SIGKILL');
}, everyMs);
`;

/**
 * A forked pool child ends with its worker: an idle child sees the IPC channel close, but a
 * child busy in a synchronous loop never does, and would spin on as an orphan. This tiny
 * unref'd thread checks the parent twice a second and kills the child once the parent is gone.
 * Cost: one small thread per child process (about 10 MB of RSS), no measurable CPU.
 */
export function watchParent(): void {
  const watchdog = new Worker(WATCHDOG_SOURCE, {
    eval: true,
    workerData: { parent: process.ppid, everyMs: CHECK_EVERY_MS },
    stdout: false,
    stderr: false,
    env: {},
  });
  watchdog.unref();
  // Without it the child only loses this protection; never crash the child over it.
  watchdog.on('error', () => undefined);
}
