import { unzipSync } from 'node:zlib';
import { BODY_BASE64_HEADER, type TaskMessage } from '../contracts/task-message.interface.js';
import { InvalidMessageError } from '../errors/invalid-message.error.js';

/** kombu's name for zlib (`compression='zlib'` or `'gzip'`, both `zlib.compress`). */
const ZLIB = 'application/x-gzip';

/**
 * The JSON text of a body that kombu compressed (`apply_async(compression=...)`, Celery's
 * `task_compression`): its `compression` header names the codec, and the body holds the
 * compressed bytes (kept in base64 by the transport when they are not UTF-8). zlib is read;
 * bzip2, lzma, brotli and zstd are refused with what to use instead.
 */
export function decompressBody(message: TaskMessage, compression: unknown): string {
  if (compression !== ZLIB) {
    throw new InvalidMessageError(
      `Unsupported compression ${JSON.stringify(compression)}: only zlib is read ` +
        `("${ZLIB}"; use compression='zlib' or task_compression='zlib' on Python producers).`,
    );
  }
  const base64 = message.headers?.[BODY_BASE64_HEADER] === true;
  const bytes = Buffer.from(message.body, base64 ? 'base64' : 'utf8');
  try {
    return unzipSync(bytes).toString('utf8');
  } catch (error) {
    throw new InvalidMessageError(
      `The message body is not ${ZLIB} (zlib) data as its compression header says: ` +
        `${(error as Error).message}.`,
    );
  }
}
