import { resourceUsage } from 'node:process';
import { SW_IDENT, SW_VERSION } from '../celery-events/event-fields.js';
import { brokerInfo } from './broker-info.js';
import type { ControlTargets } from './worker-control.commands.js';

/**
 * Celery's `inspect stats` reply: totals, pool (with Celeriac's isolate pools), broker, prefetch
 * and the process's rusage. `startedAt` is when the control server started (its uptime).
 */
export function workerStats(t: ControlTargets, startedAt: number): Record<string, unknown> {
  const { config, worker, broker, clock } = t;
  const usage = resourceUsage();
  return {
    total: worker.snapshot().totals,
    pid: process.pid,
    clock: String(clock.current),
    uptime: Math.round((Date.now() - startedAt) / 1000),
    pool: {
      'max-concurrency': config.worker.concurrency,
      processes: [process.pid],
      'max-tasks-per-child': 'N/A',
      'put-guarded-by-semaphore': false,
      timeouts: [0, 0],
      writes: {},
      implementation: 'celeriac:event-loop',
      // Isolate pools (threads / processes) running `@Task({ pool })` handlers.
      isolates: t.pools.stats(),
    },
    broker: brokerInfo(config.broker, broker),
    prefetch_count: config.worker.concurrency * config.worker.prefetch,
    rusage: {
      utime: usage.userCPUTime / 1e6,
      stime: usage.systemCPUTime / 1e6,
      maxrss: usage.maxRSS,
      ixrss: usage.sharedMemorySize,
      idrss: usage.unsharedDataSize,
      isrss: usage.unsharedStackSize,
      minflt: usage.minorPageFault,
      majflt: usage.majorPageFault,
      nswap: usage.swappedOut,
      inblock: usage.fsRead,
      oublock: usage.fsWrite,
      msgsnd: usage.ipcSent,
      msgrcv: usage.ipcReceived,
      nsignals: usage.signalsCount,
      nvcsw: usage.voluntaryContextSwitches,
      nivcsw: usage.involuntaryContextSwitches,
    },
    sw_ident: SW_IDENT,
    sw_ver: SW_VERSION,
  };
}
