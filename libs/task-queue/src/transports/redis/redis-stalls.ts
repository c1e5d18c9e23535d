import type { Redis } from 'ioredis';

/** A command a server left unanswered past its wait, and when it was sent (ms since the epoch). */
interface Stall {
  reply: Promise<unknown>;
  sentAt: number;
}

/** Servers that left a command unanswered past its wait, by address. */
const stalls = new Map<string, Stall>();

/** The server a client talks to: its socket path, else host and port. */
function serverOf(client: Redis): string {
  const { host, port, path } = client.options;
  return path ?? `${host}:${port}`;
}

/**
 * Record that `reply`, a command sent on `client`, got no answer within `waitedMs`: the server
 * is stalled (stopped, or behind a network partition that drops packets) until that reply
 * comes, or fails (the connection dropped).
 */
export function markStalled(client: Redis, reply: Promise<unknown>, waitedMs: number): void {
  const server = serverOf(client);
  if (stalls.has(server)) return;
  const stall: Stall = { reply, sentAt: Date.now() - waitedMs };
  stalls.set(server, stall);
  const clear = (): void => {
    if (stalls.get(server) === stall) stalls.delete(server);
  };
  reply.then(clear, clear);
}

/** Milliseconds `client`'s server has left a command unanswered, or undefined. */
export function stalledFor(client: Redis): number | undefined {
  const stall = stalls.get(serverOf(client));
  return stall ? Date.now() - stall.sentAt : undefined;
}
