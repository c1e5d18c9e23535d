/** ioredis-style connection options of a `redis://host:port/db` URL (for BullMQ). */
export function redisConnection(url: string): {
  host: string;
  port: number;
  db: number;
  maxRetriesPerRequest: null;
} {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    db: Number(parsed.pathname.slice(1) || 0),
    maxRetriesPerRequest: null,
  };
}
