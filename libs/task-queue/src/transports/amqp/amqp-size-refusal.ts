/**
 * RabbitMQ refuses a message above its `max_message_size` by closing the channel with
 * `406 PRECONDITION_FAILED - message size <n> is larger than configured max size <max>`; the
 * confirm callbacks then only see "channel closed". The channel's close error is kept here so
 * that a publish can tell this definite refusal from a lost channel (outcome unknown).
 */
const closeErrors = new WeakMap<object, unknown>();

/** Remember the error a channel closed with (its 'error' event comes before 'close'). */
export function recordCloseError(channel: object, error: unknown): void {
  closeErrors.set(channel, error);
}

/**
 * The server's max size, when `channel` was closed for a message larger than it and the
 * message of `bytes` is one (other messages in flight on that channel only lost it).
 */
export function refusedAsTooLarge(channel: object, bytes: number): number | undefined {
  const error = closeErrors.get(channel);
  if (!(error instanceof Error) || (error as { code?: unknown }).code !== 406) return undefined;
  const match = /message size \d+ is larger than configured max size (\d+)/.exec(error.message);
  const max = match ? Number(match[1]) : NaN;
  return bytes > max ? max : undefined;
}
