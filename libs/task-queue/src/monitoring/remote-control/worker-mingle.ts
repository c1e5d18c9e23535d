import { Inject, Injectable, Logger } from '@nestjs/common';
import type { RevocationStore } from '../../contracts/revocation-store.interface.js';
import { LamportClock } from '../celery-events/lamport-clock.js';
import { ControlClient } from './control.client.js';
import { fromMingleRevoked, toMingleRevoked } from './mingle-revoked.js';
import { RevokedTasks } from '../../revocation/revoked-tasks.js';
import { errorText } from '../../utils/error-text.js';
import { getRevocationStoreToken } from '../../utils/tokens.js';
import type { WorkerStartSync } from '../../worker/worker-start-sync.js';

/** How long a worker waits for `hello` replies at its start (Celery's mingle timeout). */
const MINGLE_TIMEOUT_MS = 1000;

/**
 * Celery's mingle at a worker's start, when its revocation store lives in this process alone
 * (RabbitMQ with no Redis anywhere): it sends `hello` with its own revocations and takes those
 * of every worker that answers, Python or Node, with their clocks. With a shared store (Redis)
 * or the memory broker there is nothing to learn, and no second is spent waiting.
 */
@Injectable()
export class WorkerMingle implements WorkerStartSync {
  private readonly logger = new Logger('TaskQueue');

  constructor(
    @Inject(getRevocationStoreToken()) private readonly store: RevocationStore,
    private readonly control: ControlClient,
    private readonly revoked: RevokedTasks,
    private readonly clock: LamportClock,
  ) {}

  /** Sync with the other workers as `hostname`; a broker that fails it only logs a warning. */
  async run(hostname: string): Promise<void> {
    if (!this.store.local) return;
    try {
      const replies = await this.control.inspect<{ revoked?: unknown; clock?: unknown } | null>(
        'hello',
        { from_node: hostname, revoked: toMingleRevoked(this.revoked.live()) },
        { timeout: MINGLE_TIMEOUT_MS },
      );
      const nodes = Object.keys(replies).filter((node) => node !== hostname && replies[node]);
      for (const node of nodes) {
        const reply = replies[node]!;
        this.revoked.absorb(fromMingleRevoked(reply.revoked));
        if (typeof reply.clock === 'number') this.clock.adjust(reply.clock);
      }
      this.logger.log(
        nodes.length
          ? `mingle: synced revocations with ${nodes.length} node(s)`
          : 'mingle: no other worker answered',
      );
    } catch (error) {
      this.logger.warn(
        `mingle: asking the other workers for their revocations failed (${errorText(error)}); ` +
          'revocations made before this worker started are not known to it.',
      );
    }
  }
}
