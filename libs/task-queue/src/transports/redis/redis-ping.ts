import type { Redis } from 'ioredis';
import { redactUrl } from './redis.connection.js';
import { withTimeout } from '../../utils/with-timeout.js';

/** How long a health PING may take. */
const PING_TIMEOUT_MS = 1_000;

/**
 * PING on an existing client, for health checks: rejects at once (never queues the command)
 * while the client is not connected, and after {@link PING_TIMEOUT_MS} without an answer.
 */
export async function pingRedis(
  client: Redis,
  url: string,
  error: (message: string) => Error,
): Promise<void> {
  const where = `Redis at ${redactUrl(url)}`;
  if (client.status !== 'ready') throw error(`${where} is not connected (${client.status}).`);
  await withTimeout(client.ping(), PING_TIMEOUT_MS, () =>
    error(`${where} did not answer PING within ${PING_TIMEOUT_MS} ms.`),
  );
}
