import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors/configuration.error.js';
import { MissingPeerDependencyError } from '../errors/missing-peer-dependency.error.js';
import { loadOptionalPeer } from './load-optional-peer.js';

const notFound = (specifier: string): Error =>
  Object.assign(new Error(`Cannot find package '${specifier}' imported from /app/x.js`), {
    code: 'ERR_MODULE_NOT_FOUND',
  });

describe('loadOptionalPeer', () => {
  it('returns what the loader loads', async () => {
    await expect(loadOptionalPeer('ioredis', 'broker "redis://"', async () => 42)).resolves.toBe(
      42,
    );
  });

  it('turns a missing peer package into an error that names the package to install', async () => {
    const error = await loadOptionalPeer('ioredis', 'broker "redis://"', () =>
      Promise.reject(notFound('ioredis')),
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MissingPeerDependencyError);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error).toMatchObject({ packageName: 'ioredis' });
    expect((error as Error).message).toBe(
      'broker "redis://" needs the package "ioredis", which is not installed. ' +
        'Install it next to celeriac: npm install ioredis',
    );
    expect((error as Error).cause).toMatchObject({ code: 'ERR_MODULE_NOT_FOUND' });
  });

  it('rethrows any other failure as it is, including another missing package', async () => {
    const other = notFound('some-transitive-dependency');
    await expect(loadOptionalPeer('amqplib', 'x', () => Promise.reject(other))).rejects.toBe(other);
    const broken = new SyntaxError('Unexpected token');
    await expect(loadOptionalPeer('typeorm', 'x', () => Promise.reject(broken))).rejects.toBe(
      broken,
    );
  });
});
