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
  /**
   * True when the store lives in this process alone, so a worker that starts later finds in it
   * none of the revocations made before: the worker then asks the other workers at its start
   * (Celery's mingle). Leave it unset for a store every worker reads.
   */
  readonly local?: boolean;
}
