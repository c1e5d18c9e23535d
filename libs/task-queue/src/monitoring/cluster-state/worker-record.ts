import type { CeleryEvent } from '../celery-events/event-fields.js';

/**
 * A worker as its events describe it (`worker-online`, `-heartbeat`, `-offline`; task events
 * count as signs of life too). Timestamps are milliseconds since the epoch.
 * @publicApi
 */
export interface WorkerRecord {
  hostname: string;
  /** False after `worker-offline`, or when no heartbeat came for two intervals. */
  online: boolean;
  /** Last event of any kind from this worker. */
  lastSeen: number;
  lastHeartbeat: number | null;
  /** Heartbeat interval in seconds (`freq`). */
  freq: number;
  active: number;
  processed: number;
  loadavg: number[];
  pid: number | null;
  /** `sw_ident` / `sw_ver` / `sw_sys`: `py-celery 5.2.6 Linux`, `celeriac 0.1.0 Linux`. */
  software: string | null;
  /** Set once `worker-offline` arrived. */
  offline: boolean;
}

export function newWorkerRecord(hostname: string, timestamp: number): WorkerRecord {
  return {
    hostname,
    online: true,
    lastSeen: timestamp,
    lastHeartbeat: null,
    freq: 2,
    active: 0,
    processed: 0,
    loadavg: [],
    pid: null,
    software: null,
    offline: false,
  };
}

/** Merge an event of this worker (worker-* sets the counters; any event marks it alive). */
export function applyWorkerEvent(
  record: WorkerRecord,
  event: CeleryEvent,
  timestamp: number,
): void {
  record.lastSeen = Math.max(record.lastSeen, timestamp);
  if (typeof event.pid === 'number') record.pid = event.pid;
  if (!event.type.startsWith('worker-')) {
    if (record.offline && timestamp > (record.lastHeartbeat ?? 0)) record.offline = false;
    return;
  }
  if (typeof event.freq === 'number' && event.freq > 0) record.freq = event.freq;
  if (typeof event.active === 'number') record.active = event.active;
  if (typeof event.processed === 'number') record.processed = event.processed;
  if (Array.isArray(event.loadavg)) record.loadavg = event.loadavg.map(Number);
  if (typeof event.sw_ident === 'string') {
    record.software = [event.sw_ident, event.sw_ver, event.sw_sys].filter(Boolean).join(' ');
  }
  record.offline = event.type === 'worker-offline';
  if (!record.offline) record.lastHeartbeat = timestamp;
}

/** Online unless it said goodbye or missed two heartbeats (Celery's expiry window). */
export function isWorkerAlive(record: WorkerRecord, now: number): boolean {
  if (record.offline) return false;
  return now - record.lastSeen <= record.freq * 2_000 + 1_000;
}
