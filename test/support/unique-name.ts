import { randomUUID } from 'node:crypto';

/** A name no other test (or run) uses: `<prefix>-<8 hex>`, for queues, key prefixes and tags. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}
