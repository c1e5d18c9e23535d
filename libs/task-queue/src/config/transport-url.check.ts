import { ConfigurationError } from '../errors/configuration.error.js';
import { INVALID_OPTION } from '../task-queue.messages.js';

/** The URL forms each option takes, as the user writes them. */
const ACCEPTED = {
  broker: ['memory://', 'redis://', 'rediss://', 'sentinel://', 'amqp://', 'amqps://'],
  resultBackend: ['memory://', 'redis://', 'rediss://', 'sentinel://', 'rpc://', "'typeorm'"],
} as const;
type UrlOption = keyof typeof ACCEPTED;

/** The schemes each option takes (`typeorm` is written without `://`, `rpc` either way). */
const SCHEMES: Record<UrlOption, readonly string[]> = {
  broker: ['memory', 'redis', 'rediss', 'sentinel', 'amqp', 'amqps'],
  resultBackend: ['memory', 'redis', 'rediss', 'sentinel', 'rpc', 'typeorm'],
};

/** Schemes whose URL names a server, with an example of each. */
const NETWORK_SCHEMES = new Map([
  ['redis', 'redis://127.0.0.1:6379/0'],
  ['rediss', 'rediss://redis.example.com:6380/0'],
  ['sentinel', 'sentinel://10.0.0.1:26379/0;sentinel://10.0.0.2:26379/0?master_name=mymaster'],
  ['amqp', 'amqp://guest:guest@127.0.0.1:5672//'],
  ['amqps', 'amqps://user:password@rabbitmq.example.com:5671/vhost'],
]);

/** What a Celery setting a user brings along is called here. */
const CELERY_FORMS: Record<UrlOption, Record<string, string>> = {
  broker: {
    pyamqp: "Celery's pyamqp:// is amqp:// here (same URL otherwise)",
    librabbitmq: "Celery's librabbitmq:// is amqp:// here (same URL otherwise)",
    rabbitmq: 'RabbitMQ URLs start with amqp:// (amqps:// with TLS)',
    rpc: "rpc:// is a result backend: broker: 'amqp://…', resultBackend: 'rpc://'",
    typeorm:
      "typeorm is a result backend (resultBackend: 'typeorm'); the broker is Redis or RabbitMQ",
  },
  resultBackend: {
    amqp: "results over RabbitMQ are resultBackend: 'rpc://' (with an amqp:// broker), as in Celery 5",
    amqps: "results over RabbitMQ are resultBackend: 'rpc://' (with an amqps:// broker)",
    pyamqp: "results over RabbitMQ are resultBackend: 'rpc://' (with an amqp:// broker)",
    db: "a database result backend is resultBackend: 'typeorm' with typeorm: { dataSource }",
    'django-db':
      "a database result backend is resultBackend: 'typeorm' with typeorm: { dataSource }",
  },
};

/**
 * ` (what it is here)` for a scheme a Celery setting uses that `option` does not take, else
 * an empty string: for the transport factories' own refusals (the CLI's `--broker`).
 */
export function celeryFormHint(option: UrlOption, value: string): string {
  const hint = CELERY_FORMS[option][schemeOf(value)];
  return hint ? ` (${hint})` : '';
}

function fail(option: string, accepted: string, got: unknown): never {
  throw new ConfigurationError(INVALID_OPTION(option, accepted, got));
}

/** Celery's `db+postgresql://` names the `db` backend. */
const schemeOf = (value: string): string => value.split(':')[0]!.split('+')[0]!;

/**
 * Check the `broker` or `resultBackend` URL at boot: a scheme that option takes (naming the
 * Celery setting a user may have brought along), two slashes, a parseable host and port, and
 * for Redis a database number as the path (`/abc` would otherwise be database 0).
 */
export function checkTransportUrl(option: UrlOption, value: unknown): void {
  if (option === 'resultBackend' && value === false) return;
  if (typeof value === 'object' && value !== null) return;
  const scheme = typeof value === 'string' ? schemeOf(value) : undefined;
  if (!scheme || !SCHEMES[option].includes(scheme)) {
    const others = option === 'resultBackend' ? ', an instance or false' : ' or an instance';
    const hint = scheme ? celeryFormHint(option, scheme) : '';
    fail(option, `a URL starting with ${ACCEPTED[option].join(', ')}${others}${hint}`, value);
  }
  if (NETWORK_SCHEMES.has(scheme)) checkNetworkUrl(option, scheme, value as string);
}

/** A redis / amqp URL must parse, so the client library never sees a malformed one. */
function checkNetworkUrl(option: string, scheme: string, value: string): void {
  const example = NETWORK_SCHEMES.get(scheme)!;
  // A Sentinel URL lists its sentinels as sentinel:// URLs joined by ";" (kombu, Celery).
  const parts = scheme === 'sentinel' ? value.split(';').filter((part) => part.trim()) : [value];
  let problem: string | undefined;
  for (const part of parts) {
    if (!part.trim().startsWith(`${scheme}://`)) problem = `"${scheme}://" (with two slashes)`;
    else if (!URL.canParse(part.trim())) problem = 'a valid host and port';
    else if (/^(redis|sentinel)/.test(scheme) && !/^\/?(\d+\/?)?$/.test(new URL(part).pathname))
      problem = 'a database number as its path (/0 to /15 by default)';
    if (problem) break;
  }
  if (!problem && scheme === 'sentinel' && !/[?&]master_name=[^&;]/.test(value))
    problem = 'the master name the sentinels know (?master_name=…)';
  if (problem) fail(option, `a URL with ${problem}, such as ${example}`, value);
}
