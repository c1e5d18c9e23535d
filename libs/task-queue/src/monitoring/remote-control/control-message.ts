/**
 * Remote-control (pidbox) messages as Celery writes them (docs/protocol.md#control-requests-and-replies).
 */

/** The body of a control request. @publicApi */
export interface ControlRequest {
  method: string;
  arguments: Record<string, unknown>;
  /** `null` for every node, or a list of nodenames. */
  destination: string[] | null;
  pattern: string | null;
  /** `glob` or `pcre`, used with `pattern` when `destination` is empty. */
  matcher: string | null;
  /** Present only when a reply is wanted. */
  ticket?: string;
  reply_to?: { exchange: string; routing_key: string };
}

/** Replies by nodename: `{ "w1@host": { "ok": "pong" } }`. @publicApi */
export type ControlReplies<T = unknown> = Record<string, T>;

/** Read a control request body defensively; null when it is not one. */
export function parseControlRequest(body: unknown): ControlRequest | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const b = body as Record<string, unknown>;
  if (typeof b.method !== 'string') return null;
  const args = b.arguments;
  const replyTo = b.reply_to as Record<string, unknown> | undefined;
  return {
    method: b.method,
    arguments: typeof args === 'object' && args !== null ? (args as Record<string, unknown>) : {},
    destination: Array.isArray(b.destination) ? b.destination.map(String) : null,
    pattern: typeof b.pattern === 'string' ? b.pattern : null,
    matcher: typeof b.matcher === 'string' ? b.matcher : null,
    ticket: typeof b.ticket === 'string' ? b.ticket : undefined,
    reply_to:
      replyTo && typeof replyTo.routing_key === 'string'
        ? { exchange: String(replyTo.exchange ?? ''), routing_key: replyTo.routing_key }
        : undefined,
  };
}

/**
 * kombu `Node.handle_message` filtering: a destination list must name this node; without one,
 * `pattern` + `matcher` (`glob` / `pcre`) must match when both are given.
 */
export function isForNode(request: ControlRequest, hostname: string): boolean {
  if (request.destination?.length) return request.destination.includes(hostname);
  if (!request.pattern || !request.matcher) return true;
  try {
    if (request.matcher === 'pcre') return new RegExp(request.pattern).test(hostname);
    const glob = request.pattern.replace(/[.+^${}()|\\]/g, '\\$&');
    return new RegExp(`^${glob.replace(/\*/g, '.*').replace(/\?/g, '.')}$`).test(hostname);
  } catch {
    return false;
  }
}
