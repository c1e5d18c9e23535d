import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT } from '../support/interop-build.js';

// A broker or result backend that is down at start-up fails boot with an error that says what
// to check, and leaves no client reconnecting behind. Nest calls no shutdown hook after a
// failed init, so a leftover client would hold the process open for ever (a test run, an app
// with abortOnError: false): the child below must end by itself, or the test times out.

const run = promisify(execFile);

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Boots TaskQueueModule with the given transports (source text) and prints how boot failed. */
const script = (transports: string): string => `
import { Test } from '@nestjs/testing';
import { TaskQueueModule } from 'celeriac';
import { RedisBroker, RedisResultBackend } from 'celeriac/redis';
const moduleRef = await Test.createTestingModule({
  imports: [TaskQueueModule.forRoot({ ${transports}, worker: { enabled: false, banner: false } })],
}).compile();
await moduleRef.init().then(
  () => console.log('BOOTED'),
  (error) => console.log('FAILED ' + error.name + ': ' + error.message),
);
`;

/** Runs the script in a child Node process from the repository root; resolves when it ends. */
async function bootInChild(transports: string): Promise<string> {
  const { stdout } = await run(
    process.execPath,
    ['--input-type=module', '-e', script(transports)],
    {
      cwd: ROOT,
      timeout: 50_000, // killed (and rejected) if it never ends
    },
  );
  return stdout;
}

beforeAll(() => ensureBuilt(), 300_000);

describe('boot with Redis down', () => {
  it('a broker that cannot connect fails boot, names what to check, and the process ends', async () => {
    const url = `redis://127.0.0.1:${await closedPort()}/0`;
    const output = await bootInChild(
      `broker: new RedisBroker('${url}', { publishTimeout: 300 }), resultBackend: false`,
    );
    expect(output).toContain(`FAILED BrokerConnectionError: Could not connect to Redis at ${url}`);
    expect(output).toContain('ECONNREFUSED');
    expect(output).toContain(
      "Check that Redis is running and that the URL's host and port are right.",
    );
  }, 60_000);

  it('a result backend that cannot connect fails boot, and the process ends', async () => {
    const url = `redis://127.0.0.1:${await closedPort()}/0`;
    const output = await bootInChild(
      `broker: 'memory://', resultBackend: new RedisResultBackend('${url}', { timeout: 300 })`,
    );
    expect(output).toContain('FAILED ResultBackendError: Could not connect');
    expect(output).toContain(
      "Check that Redis is running and that the URL's host and port are right.",
    );
  }, 60_000);
});
