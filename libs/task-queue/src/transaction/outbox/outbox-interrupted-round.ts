import type { Logger } from '@nestjs/common';
import type { OutboxStore } from './outbox.store.js';

/**
 * A round the database cut short (even in the claim, whose answer may be lost): its rows stay
 * leased to this relay. Once the database answers again they are finished at once, not after
 * the lease: the published ones deleted, every other row this relay holds released.
 */
export class InterruptedRound {
  /** The ids the cut-short round published (to delete); undefined when none was cut short. */
  private published?: string[];

  constructor(
    private readonly store: OutboxStore,
    private readonly owner: string,
    private readonly logger: Logger,
  ) {}

  /** The round failed mid-way with `published` published and not yet deleted. */
  mark(published: string[]): void {
    this.published = published;
  }

  /** After a round cut short by the database: delete what was published, release the rest. */
  async finish(): Promise<void> {
    const published = this.published;
    if (!published) return;
    await this.store.completeHeld(published, this.owner);
    const released = await this.store.releaseAllHeld(this.owner);
    this.published = undefined;
    this.logger.log(`Database back: ${released} claimed outbox row(s) released for publishing.`);
  }
}
