import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { ConfigurationError } from '../errors/configuration.error.js';
import { errorText } from './error-text.js';

/**
 * TLS settings carried by a `rediss://` / `amqps://` URL, with the query parameter names of
 * Celery's Redis URLs (redis-py), so one URL configures both languages:
 * `ssl_ca_certs` (CA file), `ssl_certfile` + `ssl_keyfile` (client certificate),
 * `ssl_cert_reqs` (`required` default, `none` to skip verification) and
 * `ssl_check_hostname` (`false` to accept a certificate for another name).
 */
const PARAMETERS = [
  'ssl_ca_certs',
  'ssl_certfile',
  'ssl_keyfile',
  'ssl_cert_reqs',
  'ssl_check_hostname',
] as const;

/** A URL without its TLS query parameters, and the TLS options they set (if any). */
export interface UrlTls {
  url: string;
  tls?: ConnectionOptions;
}

/** Split the TLS parameters off `url`; explicit `tls` options win over the URL's. */
export function takeTlsOptions(url: string, explicit?: ConnectionOptions): UrlTls {
  if (!url.includes('ssl_')) return { url, tls: explicit };
  const parsed = new URL(url);
  const tls: ConnectionOptions = {};
  let found = false;
  for (const name of PARAMETERS) {
    const value = parsed.searchParams.get(name);
    if (value === null) continue;
    found = true;
    parsed.searchParams.delete(name);
    apply(tls, name, value);
  }
  if (!found) return { url, tls: explicit };
  return { url: parsed.toString(), tls: { ...tls, ...explicit } };
}

/** Whether a connection with these settings presents a client certificate (reads no file). */
export function presentsClientCertificate(url: string, explicit?: ConnectionOptions): boolean {
  return Boolean(explicit?.cert) || /[?&]ssl_certfile=/.test(url);
}

function apply(tls: ConnectionOptions, name: (typeof PARAMETERS)[number], value: string): void {
  switch (name) {
    case 'ssl_ca_certs':
      tls.ca = readPem(name, value);
      return;
    case 'ssl_certfile':
      tls.cert = readPem(name, value);
      return;
    case 'ssl_keyfile':
      tls.key = readPem(name, value);
      return;
    case 'ssl_cert_reqs': {
      const level = value.toLowerCase().replace(/^cert_/, '');
      if (!['none', 'optional', 'required'].includes(level))
        throw new ConfigurationError(
          `URL parameter ssl_cert_reqs must be required, optional or none, got "${value}".`,
        );
      tls.rejectUnauthorized = level !== 'none';
      return;
    }
    case 'ssl_check_hostname':
      if (/^(false|0|no)$/i.test(value)) tls.checkServerIdentity = () => undefined;
      return;
  }
}

function readPem(name: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new ConfigurationError(
      `URL parameter ${name}: cannot read "${path}" (${(error as Error).message}).`,
    );
  }
}

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function tlsCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  return TLS_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')
    ? code
    : undefined;
}

/** True for an error of the TLS handshake (certificate checks, protocol mismatch). */
export function isTlsError(error: unknown): boolean {
  return tlsCode(error) !== undefined;
}

const RESET_CODES = new Set(['ECONNRESET', 'EPIPE']);

function isResetOverTls(error: unknown, url: string): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && RESET_CODES.has(code) && /^(rediss|amqps):/i.test(url);
}

/** `scheme://host:port` of a URL: no credentials, no path. */
export function endpointOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return 'the server';
  }
}

/**
 * A connection error as a user can act on it: TLS failures name the handshake, the endpoint
 * and what to pass; other errors keep their message.
 */
export function describeConnectionError(
  error: unknown,
  url: string,
  clientCertificate = false,
): string {
  const message = errorText(error);
  const code = tlsCode(error);
  if (!code) {
    if (clientCertificate || !isResetOverTls(error, url)) return message;
    // TLS 1.3 ends the client's handshake before the server checks for a client certificate:
    // the server's alert can lose the race with the reset of the socket it closes.
    return (
      `TLS connection to ${endpointOf(url)} was reset by the server (${message}); ` +
      `if it requires client certificates, ${tlsHint('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED')}`
    );
  }
  // OpenSSL's "<hex>:error:<hex>:SSL routines:<function>:<reason>:<file>:<line>:..." → reason
  const reason = /SSL routines:[^:]*:([^:]+):/.exec(message)?.[1] ?? message;
  return `TLS handshake with ${endpointOf(url)} failed: ${reason.trim()}; ${tlsHint(code)}`;
}

function tlsHint(code: string): string {
  switch (code) {
    case 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED':
    case 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE':
    case 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE':
    case 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA':
      return (
        'the server wants a client certificate it trusts: pass tls.cert and tls.key ' +
        '(ssl_certfile=/path/to/client.pem&ssl_keyfile=/path/to/client.key in the URL)'
      );
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
    case 'ERR_SSL_PACKET_LENGTH_TOO_LONG':
      return 'this port does not speak TLS: use the plain scheme (redis://, amqp://) or the TLS port';
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return (
        'connect with a host name the certificate lists, or accept it with ' +
        'ssl_check_hostname=false in the URL (tls.checkServerIdentity)'
      );
    case 'CERT_HAS_EXPIRED':
    case 'CERT_NOT_YET_VALID':
      return "the server's certificate is outside its validity dates: renew it";
    default:
      if (code.startsWith('ERR_SSL_'))
        return 'check that this port speaks TLS (and the plain scheme is not meant), and the TLS versions both sides allow';
      return (
        "pass tls.ca: the CA certificate that signed the server's certificate " +
        '(ssl_ca_certs=/path/to/ca.pem in the URL, or the tls.ca option)'
      );
  }
}
