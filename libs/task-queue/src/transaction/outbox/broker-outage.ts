import type { Broker } from '../../contracts/broker.interface.js';

/** First check of the broker after an outage began, in ms; doubles per failed check. */
const OUTAGE_INITIAL_MS = 250;
/** Longest wait between two checks of an unreachable broker, in ms. */
export const OUTAGE_MAX_MS = 5_000;

/**
 * The relay's view of a broker outage: while it lasts the relay checks the broker (`ping`)
 * instead of publishing, waiting a capped exponential backoff with jitter between checks, so
 * several relays do not check in step and the broker is found again within `OUTAGE_MAX_MS`.
 */
export class BrokerOutage {
  private checks = 0;
  private failing = false;
  /** The publish failure that began the outage. */
  error?: unknown;

  get active(): boolean {
    return this.failing;
  }

  begin(error: unknown): void {
    this.failing = true;
    this.error = error;
    this.checks = 0;
  }

  /** Wait before the next check: 50–100 % of the capped exponential delay. */
  nextDelayMs(): number {
    const base = Math.min(OUTAGE_INITIAL_MS * 2 ** this.checks, OUTAGE_MAX_MS);
    this.checks += 1;
    return Math.round(base / 2 + (Math.random() * base) / 2);
  }

  end(): void {
    this.failing = false;
    this.error = undefined;
    this.checks = 0;
  }
}

/** True when the broker answers a ping (false when it throws or has no way to answer). */
export async function brokerAnswers(broker: Broker): Promise<boolean> {
  try {
    await broker.ping();
    return true;
  } catch {
    return false;
  }
}
