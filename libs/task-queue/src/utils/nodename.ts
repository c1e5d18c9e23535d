import { hostname } from 'node:os';

/** A producer's node name as Celery writes it in `origin`: `gen<pid>@<host>`. */
export function producerNodename(): string {
  return `gen${process.pid}@${hostname()}`;
}

/** Expand Celery's `%h` (full host), `%n` (short host) and `%d` (domain) in a node name. */
export function expandNodename(pattern: string, host = hostname()): string {
  const [short, ...domain] = host.split('.');
  return pattern
    .replace(/%h/g, host)
    .replace(/%n/g, short ?? host)
    .replace(/%d/g, domain.join('.'));
}
