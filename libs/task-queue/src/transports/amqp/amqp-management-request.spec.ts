import { describe, expect, it } from 'vitest';
import {
  exactNamesRegex,
  MANAGEMENT_MAX_PATH,
  MANAGEMENT_PAGE_SIZE,
  managementQueuesPath,
} from './amqp-management-request.js';

const dlq = (queue: string) => `${queue}.dlq`;

describe('managementQueuesPath', () => {
  it('asks for the five columns and, by a page filter, for the named queues only', () => {
    const { path, paged } = managementQueuesPath('/', ['emails'], dlq);
    expect(paged).toBe(true);
    const url = new URL(path, 'http://rabbitmq:15672');
    expect(url.pathname).toBe('/api/queues/%2F');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      columns: 'name,messages_ready,messages_unacknowledged,consumers,head_message_timestamp',
      page: '1',
      page_size: String(MANAGEMENT_PAGE_SIZE),
      pagination: 'true',
      use_regex: 'true',
      name: '^emails(?:)(?:\\.dlq)?$',
    });
  });

  it('lists the whole vhost when the names exceed a page or a request line', () => {
    const many = Array.from({ length: MANAGEMENT_PAGE_SIZE / 2 + 1 }, (_, i) => `q${i}`);
    expect(managementQueuesPath('prod', many, dlq)).toEqual({
      path: '/api/queues/prod?columns=name,messages_ready,messages_unacknowledged,consumers,head_message_timestamp',
      paged: false,
    });
    const long = Array.from({ length: 200 }, (_, i) => `${i}-${'x'.repeat(60)}`);
    const { path, paged } = managementQueuesPath('prod', long, dlq);
    expect(paged).toBe(false);
    expect(path.length).toBeLessThanOrEqual(MANAGEMENT_MAX_PATH);
  });
});

describe('exactNamesRegex', () => {
  const matcher = (queues: string[], deadLetterQueueOf = dlq) => {
    const regex = new RegExp(exactNamesRegex(queues, deadLetterQueueOf));
    return (candidate: string) => regex.test(candidate);
  };

  it('matches exactly the queues and their dead-letter queues, metacharacters taken literally', () => {
    const matches = matcher(['a.b', 'a(1)', 'a|c', 'a+']);
    for (const name of ['a.b', 'a.b.dlq', 'a(1)', 'a(1).dlq', 'a|c', 'a+', 'a+.dlq']) {
      expect(matches(name)).toBe(true);
    }
    for (const other of ['axb', 'a.b.dlqx', 'a.bxdlq', 'xa.b', 'a', 'c', 'a1', 'aa', 'a.dlq']) {
      expect(matches(other)).toBe(false);
    }
  });

  it('writes the common prefix and the dead-letter suffix once', () => {
    const queues = Array.from({ length: 100 }, (_, i) => `scrape-5d3c0a4e-${i}`);
    const regex = exactNamesRegex(queues, dlq);
    expect(regex.startsWith('^scrape-5d3c0a4e-(?:0|1|2|')).toBe(true);
    expect(regex.endsWith('|99)(?:\\.dlq)?$')).toBe(true);
    const matches = matcher(queues);
    expect(matches('scrape-5d3c0a4e-99.dlq')).toBe(true);
    expect(matches('scrape-5d3c0a4e-100')).toBe(false);
  });

  it('lists every dead-letter queue when they do not share one suffix', () => {
    const matches = matcher(['emails', 'reports'], (queue) =>
      queue === 'emails' ? 'emails.dead' : 'dead.reports',
    );
    for (const name of ['emails', 'emails.dead', 'reports', 'dead.reports']) {
      expect(matches(name)).toBe(true);
    }
    expect(matches('reports.dead')).toBe(false);
  });
});
