import { Injectable } from '@nestjs/common';

/**
 * Kombu's Lamport clock (docs/protocol.md#serialization): `forward()` is `++value`,
 * `adjust(other)` sets `max(value, other) + 1`. One per worker, shared by events and remote
 * control.
 * @publicApi
 */
@Injectable()
export class LamportClock {
  private value = 0;

  /** The current value. */
  get current(): number {
    return this.value;
  }

  /** Tick for a local event and return the new value. */
  forward(): number {
    return ++this.value;
  }

  /** Merge a clock value received from another node (non-numbers are ignored). */
  adjust(other: unknown): number {
    const seen = typeof other === 'number' ? other : Number(other);
    if (Number.isFinite(seen)) this.value = Math.max(this.value, Math.trunc(seen)) + 1;
    return this.value;
  }
}
