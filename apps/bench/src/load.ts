import { wallNow } from './ipc.js';
import { sleep } from './worker-handle.js';

/** Send `n` tasks keeping at most `window` publishes in flight. */
export async function sendMany(
  n: number,
  window: number,
  send: () => Promise<string>,
): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < n) {
      next++;
      await send();
    }
  };
  await Promise.all(Array.from({ length: Math.min(window, n) }, lane));
}

/** One task of an offered-load run: when its publish began, and its id once known. */
export interface Offered {
  sentAt: number;
  id: string;
}

/**
 * Offer `rate` tasks/s for `seconds`: every millisecond tick sends what is due by then (not
 * waiting for earlier publishes). Resolves once every publish returned.
 */
export async function offerLoad(
  rate: number,
  seconds: number,
  send: () => Promise<string>,
): Promise<Offered[]> {
  const total = Math.round(rate * seconds);
  const offered: Offered[] = [];
  const pending: Promise<void>[] = [];
  const t0 = wallNow();
  while (offered.length < total) {
    const due = Math.min(total, Math.floor(((wallNow() - t0) * rate) / 1000) + 1);
    while (offered.length < due) {
      const item: Offered = { sentAt: wallNow(), id: '' };
      offered.push(item);
      pending.push(send().then((id) => void (item.id = id)));
    }
    await sleep(1);
  }
  await Promise.all(pending);
  return offered;
}

/** The q-quantile (0..1) of `values` (nearest rank). */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Median of `values`. */
export function median(values: number[]): number {
  return quantile(values, 0.5);
}
