import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors/configuration.error.js';
import { describeConnectionError, isTlsError, takeTlsOptions } from './tls-options.js';

const dir = mkdtempSync(join(tmpdir(), 'celeriac-tls-unit-'));
const ca = join(dir, 'ca.pem');
writeFileSync(ca, 'CA');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('TLS URL parameters', () => {
  it('leaves a URL without ssl_* parameters as it is', () => {
    expect(takeTlsOptions('rediss://h:1/0')).toEqual({ url: 'rediss://h:1/0', tls: undefined });
  });

  it('reads ssl_ca_certs / ssl_cert_reqs / ssl_check_hostname and strips them', () => {
    const { url, tls } = takeTlsOptions(
      `rediss://:pw@h:1/0?ssl_ca_certs=${encodeURIComponent(ca)}&ssl_cert_reqs=CERT_NONE&ssl_check_hostname=false&x=1`,
    );
    expect(url).toBe('rediss://:pw@h:1/0?x=1');
    expect(tls?.ca).toEqual(Buffer.from('CA'));
    expect(tls?.rejectUnauthorized).toBe(false);
    expect(tls?.checkServerIdentity?.('h', {} as never)).toBeUndefined();
  });

  it('lets explicit options win, and rejects unreadable files and bad values', () => {
    const explicit = takeTlsOptions(`amqps://h/?ssl_ca_certs=${encodeURIComponent(ca)}`, {
      ca: 'other',
    });
    expect(explicit.tls?.ca).toBe('other');
    expect(() => takeTlsOptions('rediss://h/0?ssl_ca_certs=/nope/ca.pem')).toThrow(
      ConfigurationError,
    );
    expect(() => takeTlsOptions('rediss://h/0?ssl_cert_reqs=maybe')).toThrow(/ssl_cert_reqs/);
  });
});

describe('connection error descriptions', () => {
  const tlsError = (code: string, message: string) => Object.assign(new Error(message), { code });

  it('spells out a TLS failure with the endpoint (no credentials) and what to pass', () => {
    const error = tlsError(
      'SELF_SIGNED_CERT_IN_CHAIN',
      'self-signed certificate in certificate chain',
    );
    expect(isTlsError(error)).toBe(true);
    expect(describeConnectionError(error, 'rediss://:secret@db.example:6380/0')).toBe(
      'TLS handshake with rediss://db.example:6380 failed: self-signed certificate in certificate ' +
        "chain; pass tls.ca: the CA certificate that signed the server's certificate " +
        '(ssl_ca_certs=/path/to/ca.pem in the URL, or the tls.ca option)',
    );
  });

  it('keeps other errors as they are', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
      code: 'ECONNREFUSED',
    });
    expect(isTlsError(refused)).toBe(false);
    expect(describeConnectionError(refused, 'redis://h:1')).toBe(refused.message);
  });

  it('explains a reset right after a TLS handshake as a possibly missing client certificate', () => {
    const reset = Object.assign(new Error('write ECONNRESET'), { code: 'ECONNRESET' });
    expect(describeConnectionError(reset, 'rediss://db.example:6380/0')).toMatch(
      /^TLS connection to rediss:\/\/db\.example:6380 was reset by the server \(write ECONNRESET\); if it requires client certificates, .*pass tls\.cert and tls\.key/,
    );
    expect(describeConnectionError(reset, 'rediss://db.example:6380/0', true)).toBe(reset.message);
    expect(describeConnectionError(reset, 'redis://db.example:6379/0')).toBe(reset.message);
  });
});
