import type { ChannelModel } from 'amqplib';

/** What this file uses of amqplib's connection internals (its types do not declare them). */
interface MuxedConnection {
  stream?: { cork?: () => void; uncork?: () => void };
  muxer?: { _readIncoming?: () => void };
}

/**
 * Write the frames amqplib has queued in one pass as one socket write instead of one each.
 *
 * amqplib queues every frame (a publish, an ack) on its channel's buffer and, once per
 * event-loop turn, its muxer moves them to the socket one `write` at a time: with `noDelay`,
 * each is its own syscall and TCP segment, which RabbitMQ then reads one by one. Corking the
 * socket for that pass makes the whole burst (the publishes or acks of one turn) a single
 * `writev`. Nothing waits longer: the socket is uncorked before the pass returns, and the
 * muxer's backpressure is unchanged (a corked write still reports a full socket).
 *
 * Left alone when the connection does not have the shape this relies on (another amqplib).
 */
export function coalesceWrites(model: ChannelModel): void {
  const connection = model.connection as unknown as MuxedConnection;
  const stream = connection.stream;
  const muxer = connection.muxer;
  const pass = muxer?._readIncoming;
  if (!muxer || typeof pass !== 'function') return;
  if (typeof stream?.cork !== 'function' || typeof stream.uncork !== 'function') return;
  muxer._readIncoming = function readCorked(this: unknown): void {
    stream.cork!();
    try {
      pass.call(this);
    } finally {
      stream.uncork!();
    }
  };
}
