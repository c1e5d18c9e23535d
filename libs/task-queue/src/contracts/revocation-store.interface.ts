/** One revoked task id, kept until `expiresAt` (ms since epoch). */
export interface Revocation {
  id: string;
  expiresAt: number;
  /** Abort the task's AbortSignal if it is running. */
  terminate: boolean;
  reason: string;
  /** The signal a revoke with terminate named (Celery's `signal`), e.g. `SIGUSR1`. */
  signal?: string;
}

/**
 * Where revocations live so they survive worker restarts and reach workers that were offline
 * when the revoke was sent (Celery keeps them only in each worker's memory).
 */
export interface RevocationStore {
  connect(): Promise<void>;
  add(revocations: Revocation[]): Promise<void>;
  /** Every revocation not yet expired. */
  load(): Promise<Revocation[]>;
  /** Be told of revocations added from now on (by any process); returns the unsubscribe. */
  subscribe(listener: (revocations: Revocation[]) => void): Promise<() => void>;
  close(): Promise<void>;
}
