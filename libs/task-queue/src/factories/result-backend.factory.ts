import { MemoryResultBackend } from '../backends/memory/memory.result-backend.js';
import { ConfigurationError } from '../errors/configuration.error.js';
import type { ResultBackend } from '../interfaces/result-backend.interface.js';

/** Build the result backend of a URL, or null when results are off. */
export async function createResultBackend(
  backend: string | ResultBackend | false,
  options: { expires: number; brokerUrl?: string },
): Promise<ResultBackend | null> {
  if (backend === false) return null;
  if (typeof backend !== 'string') return backend;
  const url = new URL(backend);
  switch (url.protocol) {
    case 'memory:':
      return new MemoryResultBackend(
        url.host || url.pathname.replace(/^\/+/, '') || undefined,
        options.expires,
      );
    default:
      throw new ConfigurationError(
        `Unsupported result backend URL "${url.protocol}//": use memory://, redis://, rpc:// or typeorm://.`,
      );
  }
}
