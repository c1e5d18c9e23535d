import { describe, expect, it } from 'vitest';
import {
  exactNamesRegex,
  MANAGEMENT_MAX_PATH,
  MANAGEMENT_PAGE_SIZE,
  managementQueuesPath,
} from './amqp-management-request.js';

describe('managementQueuesPath', () => {
  it('asks for the five columns and, by a page filter, for the named queues only', () => {
    const { path, paged } = managementQueuesPath('/', ['emails', 'emails.dlq']);
    expect(paged).toBe(true);
    const url = new URL(path, 'http://rabbitmq:15672');
    expect(url.pathname).toBe('/api/queues/%2F');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      columns: 'name,messages_ready,messages_unacknowledged,consumers,head_message_timestamp',
      page: '1',
      page_size: String(MANAGEMENT_PAGE_SIZE),
      pagination: 'true',
      use_regex: 'true',
      name: '^emails(?:|\\.dlq)$',
    });
  });

  it('lists the whole vhost when the names exceed a page or a request line', () => {
    const many = Array.from({ length: MANAGEMENT_PAGE_SIZE + 1 }, (_, i) => `q${i}`);
    expect(managementQueuesPath('prod', many)).toEqual({
      path: '/api/queues/prod?columns=name,messages_ready,messages_unacknowledged,consumers,head_message_timestamp',
      paged: false,
    });
    const long = Array.from({ length: 200 }, (_, i) => `${i}-${'x'.repeat(60)}`);
    const { path, paged } = managementQueuesPath('prod', long);
    expect(paged).toBe(false);
    expect(path.length).toBeLessThanOrEqual(MANAGEMENT_MAX_PATH);
  });
});

describe('exactNamesRegex', () => {
  const matches = (names: string[], candidate: string) =>
    new RegExp(exactNamesRegex(names)).test(candidate);

  it('matches exactly the names, metacharacters taken literally', () => {
    const names = ['a.b', 'a.b.dlq', 'a(1)', 'a|c', 'a+'];
    for (const name of names) expect(matches(names, name)).toBe(true);
    for (const other of ['axb', 'a.b.dlqx', 'xa.b', 'a', 'c', 'a1', 'aa']) {
      expect(matches(names, other)).toBe(false);
    }
  });

  it('writes the common prefix once', () => {
    const names = Array.from({ length: 100 }, (_, i) => `scrape-5d3c0a4e-${i}`);
    const regex = exactNamesRegex(names);
    expect(regex.startsWith('^scrape-5d3c0a4e-(?:')).toBe(true);
    expect(regex.split('scrape-')).toHaveLength(2);
    expect(matches(names, 'scrape-5d3c0a4e-99')).toBe(true);
    expect(matches(names, 'scrape-5d3c0a4e-100')).toBe(false);
  });
});
