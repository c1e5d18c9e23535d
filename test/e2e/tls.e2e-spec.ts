import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisResultBackend } from 'celeriac/redis';
import { AmqpBroker } from 'celeriac/amqp';
import { RedisBroker } from 'celeriac/redis';
import { BrokerConnectionError } from 'celeriac';
import { createTaskMessage } from 'celeriac/protocol';
import { portOpen } from '../setup/services.js';
import { type AmqpTestVhost, createTestVhost } from '../support/amqp-vhost.js';
import { freePort } from '../support/redis-test-server.js';

// TLS for Redis (a private redis-server with --tls-port) and RabbitMQ (a TLS front for the
// shared RabbitMQ, since it listens in plain text): an untrusted certificate fails with the
// TLS cause and what to pass, not a timeout; the CA (and a client certificate, for a Redis
// that requires one) given by URL parameters or the tls option makes it work.

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'celeriac-tls-'));
const file = (name: string): string => join(dir, name);
let redisPort: number;
let redis: ChildProcess | undefined;
let amqpFront: TlsServer | undefined;
let amqpPort: number;
let vhost: AmqpTestVhost;

async function openssl(...args: string[]): Promise<void> {
  await run('openssl', args, { cwd: dir });
}

/** A CA, and a server and a client certificate it signed (server valid for 127.0.0.1). */
async function makeCertificates(): Promise<void> {
  const days = ['-days', '2'];
  await openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    ...days,
    '-subj',
    '/CN=celeriac test CA',
  );
  writeFileSync(file('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  for (const name of ['server', 'client']) {
    await openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=celeriac ${name}`,
    );
    await openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      ...days,
      ...(name === 'server' ? ['-extfile', 'server.ext'] : []),
    );
  }
}

beforeAll(async () => {
  await makeCertificates();
  redisPort = await freePort();
  redis = spawn(
    'redis-server',
    [
      '--port',
      '0',
      '--tls-port',
      String(redisPort),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--tls-cert-file',
      file('server.pem'),
      '--tls-key-file',
      file('server.key'),
      '--tls-ca-cert-file',
      file('ca.pem'),
      '--tls-auth-clients',
      'yes',
    ],
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 200 && !(await portOpen(redisPort)); i++)
    await new Promise((r) => setTimeout(r, 50));

  vhost = await createTestVhost('celeriac-tls');
  amqpPort = await freePort();
  amqpFront = createTlsServer(
    { key: readFileSync(file('server.key')), cert: readFileSync(file('server.pem')) },
    (socket) => {
      const upstream = netConnect(5672, '127.0.0.1');
      socket.pipe(upstream).pipe(socket);
      const end = (): void => {
        socket.destroy();
        upstream.destroy();
      };
      socket.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
    },
  );
  amqpFront.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => amqpFront!.listen(amqpPort, '127.0.0.1', resolve));
}, 60_000);

afterAll(async () => {
  redis?.kill('SIGKILL');
  await new Promise<void>((resolve) => (amqpFront ? amqpFront.close(() => resolve()) : resolve()));
  await vhost?.dispose();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

const message = () => createTaskMessage({ name: 'tls.task', args: [1] });

/** A message published over TLS lands in its queue (purged again). */
async function expectRoundTrip(broker: RedisBroker): Promise<void> {
  const queue = `tls-${randomUUID()}`;
  await broker.publish(message(), { queue });
  expect(await broker.queueLength(queue)).toBe(1);
  await broker.purge(queue);
}

describe('rediss:// (redis-server with TLS)', () => {
  it('an untrusted certificate fails with the TLS cause and what to pass, not a timeout', async () => {
    const broker = new RedisBroker(`rediss://127.0.0.1:${redisPort}/0`, { publishTimeout: 1500 });
    try {
      const error = await broker.connect().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BrokerConnectionError);
      const text = (error as Error).message;
      expect(text).toMatch(
        new RegExp(
          `TLS handshake with rediss://127\\.0\\.0\\.1:${redisPort} failed: .+; pass tls\\.ca`,
        ),
      );
      expect(text).not.toMatch(/raise the publishTimeout/);
      const published = await broker.publish(message(), { queue: 'tls' }).catch((e: unknown) => e);
      expect((published as Error).message).toMatch(/nothing was sent: TLS handshake with rediss:/);
    } finally {
      await broker.close();
    }
  });

  it('a server that requires a client certificate refuses a client without one', async () => {
    const url = `rediss://127.0.0.1:${redisPort}/0?ssl_ca_certs=${encodeURIComponent(file('ca.pem'))}`;
    const broker = new RedisBroker(url, { publishTimeout: 1500 });
    try {
      const error = await broker.connect().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BrokerConnectionError);
      expect((error as Error).message).toMatch(
        // The server's alert or, when the reset of its socket wins the race, the reset.
        /(TLS handshake with rediss:\S+ failed: tlsv13 alert certificate required|TLS connection to rediss:\S+ was reset by the server).*pass tls\.cert and tls\.key/,
      );
    } finally {
      await broker.close();
    }
  });

  it('works with the CA and client certificate from the URL (ssl_* parameters), as in Celery', async () => {
    const q = (name: string): string => encodeURIComponent(file(name));
    const url =
      `rediss://127.0.0.1:${redisPort}/0?ssl_ca_certs=${q('ca.pem')}` +
      `&ssl_certfile=${q('client.pem')}&ssl_keyfile=${q('client.key')}&ssl_cert_reqs=required`;
    const broker = new RedisBroker(url, { publishTimeout: 5000 });
    const backend = new RedisResultBackend(url, { timeout: 5000 });
    try {
      await broker.connect();
      await backend.connect();
      await expectRoundTrip(broker);
    } finally {
      await broker.close();
      await backend.close();
    }
  });

  it('works with the tls option, including a client certificate', async () => {
    const broker = new RedisBroker(`rediss://127.0.0.1:${redisPort}/0`, {
      publishTimeout: 5000,
      tls: {
        ca: readFileSync(file('ca.pem')),
        cert: readFileSync(file('client.pem')),
        key: readFileSync(file('client.key')),
      },
    });
    try {
      await broker.connect();
      await expectRoundTrip(broker);
    } finally {
      await broker.close();
    }
  });
});

describe('amqps:// (TLS in front of RabbitMQ)', () => {
  const amqps = (query = ''): string =>
    `amqps://guest:guest@127.0.0.1:${amqpPort}/${encodeURIComponent(vhost.name)}${query}`;

  it('an untrusted certificate fails with the TLS cause and what to pass', async () => {
    const broker = new AmqpBroker(amqps());
    try {
      const error = await broker.connect().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BrokerConnectionError);
      expect((error as Error).message).toMatch(
        new RegExp(
          `TLS handshake with amqps://127\\.0\\.0\\.1:${amqpPort} failed: .+; pass tls\\.ca`,
        ),
      );
    } finally {
      await broker.close();
    }
  });

  it('works with the CA from the URL or the tls option', async () => {
    const queue = `tls-${randomUUID()}`;
    for (const broker of [
      new AmqpBroker(amqps(`?ssl_ca_certs=${encodeURIComponent(file('ca.pem'))}`)),
      new AmqpBroker(amqps(), { tls: { ca: readFileSync(file('ca.pem')) } }),
    ]) {
      try {
        await broker.connect();
        await broker.publish(message(), { queue });
      } finally {
        await broker.close();
      }
    }
    const plain = new AmqpBroker(vhost.url);
    try {
      await plain.connect();
      expect(await plain.queueLength(queue)).toBe(2);
    } finally {
      await plain.close();
    }
  });
});
