import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors/configuration.error.js';
import { resolveTaskQueueOptions } from './task-queue-options.validator.js';

describe('resolveTaskQueueOptions: broker and result backend URLs', () => {
  it.each([
    ['broker', 'redis:127.0.0.1:6379', '"redis://" (with two slashes)'],
    ['broker', 'amqp:/guest:guest@127.0.0.1//', '"amqp://" (with two slashes)'],
    ['resultBackend', 'redis://127.0.0.1:63a79/0', 'a valid host and port'],
    ['broker', 'amqp://guest:guest@127.0.0.1:notaport//', 'a valid host and port'],
  ])('refuses %s %s at boot, naming the option and an example', (option, url, problem) => {
    const attempt = () => resolveTaskQueueOptions({ [option]: url });
    expect(attempt).toThrow(ConfigurationError);
    expect(attempt).toThrow(`option "${option}" must be a URL with ${problem}, such as `);
    expect(attempt).toThrow(JSON.stringify(url));
  });

  it.each([
    'redis://127.0.0.1:6379/0',
    'redis://',
    'rediss://:secret@redis.example.com:6380/0?ssl_cert_reqs=required',
    'amqp://guest:guest@127.0.0.1:5672//',
    'amqp://',
  ])('accepts %s', (url) => {
    expect(resolveTaskQueueOptions({ broker: url }).broker).toBe(url);
  });

  it('leaves the non-network forms alone', () => {
    const resolved = resolveTaskQueueOptions({ broker: 'memory://app', resultBackend: 'rpc://' });
    expect(resolved.resultBackend).toBe('rpc://');
  });
});

describe('resolveTaskQueueOptions: the URL forms each option takes', () => {
  it('lists for the broker only the broker schemes, and for the result backend only its own', () => {
    const broker = () => resolveTaskQueueOptions({ broker: 'sqs://queue' });
    expect(broker).toThrow(
      'option "broker" must be a URL starting with memory://, redis://, rediss://, sentinel://, amqp://, amqps:// or an instance; got "sqs://queue".',
    );
    const results = () => resolveTaskQueueOptions({ resultBackend: 'mongodb://db' });
    expect(results).toThrow(
      `option "resultBackend" must be a URL starting with memory://, redis://, rediss://, sentinel://, rpc://, 'typeorm', an instance or false; got "mongodb://db".`,
    );
  });

  it.each([
    ['broker', 'pyamqp://guest@127.0.0.1//', "Celery's pyamqp:// is amqp:// here"],
    ['broker', 'rpc://', "rpc:// is a result backend: broker: 'amqp://…', resultBackend: 'rpc://'"],
    ['resultBackend', 'amqp://127.0.0.1', "results over RabbitMQ are resultBackend: 'rpc://'"],
    ['resultBackend', 'db+postgresql://u@127.0.0.1/app', "resultBackend: 'typeorm' with typeorm"],
    ['resultBackend', 'django-db', "resultBackend: 'typeorm' with typeorm"],
  ])('refuses %s %s at boot, saying what the Celery form is here', (option, url, hint) => {
    const attempt = () => resolveTaskQueueOptions({ [option]: url });
    expect(attempt).toThrow(ConfigurationError);
    expect(attempt).toThrow(hint);
  });

  it.each(['redis://127.0.0.1:6379/abc', 'rediss://h:6380/0x1', 'redis://127.0.0.1:6379/0/1'])(
    'refuses the Redis URL %s, whose path is not a database number (it was database 0)',
    (url) => {
      for (const option of ['broker', 'resultBackend']) {
        const attempt = () => resolveTaskQueueOptions({ [option]: url });
        expect(attempt).toThrow(ConfigurationError);
        expect(attempt).toThrow(
          `option "${option}" must be a URL with a database number as its path (/0 to /15 by default)`,
        );
      }
    },
  );

  it.each([
    'redis://127.0.0.1:6379',
    'redis://127.0.0.1:6379/',
    'redis://h/3/',
    'redis://h/12?x=1',
  ])('accepts the Redis URL %s', (url) => {
    expect(resolveTaskQueueOptions({ broker: url, resultBackend: url }).broker).toBe(url);
  });
});

describe('resolveTaskQueueOptions: options given as undefined', () => {
  it('take their defaults, as an unset environment variable gives them', () => {
    const env: Record<string, string | undefined> = {};
    const resolved = resolveTaskQueueOptions({
      broker: env['CELERIAC_BROKER'],
      resultBackend: env['CELERIAC_RESULT_BACKEND'],
      defaultQueue: env['CELERIAC_QUEUE'],
      worker: { hostname: env['CELERIAC_HOSTNAME'], concurrency: undefined, http: undefined },
    });
    expect(resolved).toMatchObject({
      broker: 'memory://',
      resultBackend: 'memory://',
      defaultQueue: 'celery',
      worker: { hostname: 'celeriac@%h', concurrency: 10, queues: ['celery'], http: null },
    });
  });
});

describe('resolveTaskQueueOptions: what a refusal shows of the value', () => {
  it.each([
    [Number('abc'), 'got NaN.'],
    [Infinity, 'got Infinity.'],
    [4n, 'got 4n.'],
  ])('shows %s as written, in a ConfigurationError', (concurrency, shown) => {
    const attempt = () =>
      resolveTaskQueueOptions({ worker: { concurrency: concurrency as number } });
    expect(attempt).toThrow(ConfigurationError);
    expect(attempt).toThrow(`option "worker.concurrency" must be a whole number ≥ 1; ${shown}`);
  });

  it('refuses a circular value with a ConfigurationError, not a TypeError of its own', () => {
    const queues: unknown[] = ['a'];
    queues.push(queues);
    const attempt = () => resolveTaskQueueOptions({ worker: { queues: queues as string[] } });
    expect(attempt).toThrow(ConfigurationError);
    expect(attempt).toThrow('got [object Array].');
  });
});
