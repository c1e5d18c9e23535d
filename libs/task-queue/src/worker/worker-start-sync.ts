/** What a worker runs as it starts, before it consumes (Celery's mingle; provided by remote control). */
export interface WorkerStartSync {
  run(hostname: string): Promise<void>;
}

export const WORKER_START_SYNC = Symbol('celeriac:worker-start-sync');
