import { Injectable } from '@nestjs/common';

interface Revocation {
  expiresAt: number;
  terminate: boolean;
  reason: string;
}

/**
 * Task ids this worker must not run (Celery's `revoked` LimitedSet), each kept for `ttlMs`.
 * Running tasks that are revoked with `terminate` get their AbortSignal fired.
 */
@Injectable()
export class RevokedTasks {
  private readonly revoked = new Map<string, Revocation>();
  private readonly running = new Map<string, AbortController>();
  ttlMs = 3 * 3600_000;

  revoke(
    ids: string[],
    options: { terminate?: boolean; reason?: string; ttlMs?: number } = {},
  ): void {
    const expiresAt = Date.now() + (options.ttlMs ?? this.ttlMs);
    for (const id of ids) {
      this.revoked.set(id, {
        expiresAt,
        terminate: options.terminate ?? false,
        reason: options.reason ?? 'revoked',
      });
      if (options.terminate)
        this.running.get(id)?.abort(new Error(`Task ${id} was revoked and terminated.`));
    }
    this.sweep();
  }

  /** The revocation of `id`, if any and not expired. */
  get(id: string): Revocation | undefined {
    const entry = this.revoked.get(id);
    if (entry && entry.expiresAt <= Date.now()) {
      this.revoked.delete(id);
      return undefined;
    }
    return entry;
  }

  ids(): string[] {
    this.sweep();
    return [...this.revoked.keys()];
  }

  /** Track a running task so `revoke(terminate)` can abort it; returns the untrack function. */
  track(id: string, controller: AbortController): () => void {
    this.running.set(id, controller);
    return () => {
      if (this.running.get(id) === controller) this.running.delete(id);
    };
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, entry] of this.revoked) if (entry.expiresAt <= now) this.revoked.delete(id);
  }
}
