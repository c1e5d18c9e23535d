import { MissingPeerDependencyError } from '../errors/missing-peer-dependency.error.js';

/** The optional peer dependencies that transports import lazily. */
export type OptionalPeer = 'ioredis' | 'amqplib' | 'typeorm' | 'pg';

/**
 * Run `load` (a dynamic import of a module that needs `peer`) and turn "cannot find package
 * <peer>" into a {@link MissingPeerDependencyError} that says what to install. Any other
 * failure is rethrown as it is.
 *
 * @param feature what needs the peer, as the user configured it (e.g. `broker "redis://…"`)
 */
export async function loadOptionalPeer<T>(
  peer: OptionalPeer,
  feature: string,
  load: () => Promise<T>,
): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (isMissingPackage(error, peer)) {
      throw new MissingPeerDependencyError(peer, feature, { cause: error });
    }
    throw error;
  }
}

function isMissingPackage(error: unknown, peer: string): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  return error.message.includes(`'${peer}'`) || error.message.includes(`"${peer}"`);
}
