import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../errors/configuration.error.js';
import { resolveRedisBrokerOptions } from './redis-broker.options.js';
import { parseRedisBrokerUrl } from './redis-url-options.js';

describe('parseRedisBrokerUrl', () => {
  it('leaves a URL without transport options unchanged', () => {
    expect(parseRedisBrokerUrl('redis://127.0.0.1:6379/2')).toEqual({
      url: 'redis://127.0.0.1:6379/2',
      options: {},
    });
  });

  it('reads kombu option names and strips them from the URL', () => {
    const parsed = parseRedisBrokerUrl(
      'redis://:pw@h:6380/1?visibility_timeout=2.5&global_keyprefix=app%3A&priority_steps=0,5,9' +
        '&unacked_mutex_expire=30&unacked_restore_limit=7&unacked_restore_interval=0.5&family=4',
    );
    expect(parsed.url).toBe('redis://:pw@h:6380/1?family=4');
    expect(parsed.options).toEqual({
      visibilityTimeout: 2.5,
      globalKeyprefix: 'app:',
      prioritySteps: [0, 5, 9],
      unackedMutexExpire: 30,
      unackedRestoreLimit: 7,
      restoreInterval: 500,
    });
    expect(() => resolveRedisBrokerOptions(parsed.options)).not.toThrow();
  });

  it('accepts a JSON list of priority steps and a custom separator', () => {
    const parsed = parseRedisBrokerUrl('redis://h/0?priority_steps=[0, 3]&sep=%3A%3A');
    expect(parsed.options).toEqual({ prioritySteps: [0, 3], sep: '::' });
  });

  it('lets explicit options win over the URL', () => {
    const parsed = parseRedisBrokerUrl('redis://h/0?visibility_timeout=5', {
      visibilityTimeout: 60,
    });
    expect(parsed.options.visibilityTimeout).toBe(60);
  });

  it.each([
    ['visibility_timeout=0'],
    ['visibility_timeout=abc'],
    ['visibility_timeout='],
    ['unacked_restore_limit=-1'],
    ['priority_steps=a,b'],
    ['priority_steps='],
  ])('rejects %s with a ConfigurationError', (query) => {
    expect(() => parseRedisBrokerUrl(`redis://h/0?${query}`)).toThrow(ConfigurationError);
  });
});
