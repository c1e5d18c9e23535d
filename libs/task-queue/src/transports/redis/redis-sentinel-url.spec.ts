import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../errors/configuration.error.js';
import { checkTransportUrl } from '../../config/transport-url.check.js';
import { parseRedisBrokerUrl } from './redis-url-options.js';
import { dbOf, redisUrlOf } from './redis-url.js';
import { redactUrl } from './redis.connection.js';
import { maskSentinelUrl, parseSentinelUrl, withSentinelOptions } from './redis-sentinel-url.js';

// The URL forms of Celery's broker_url / result_backend with Redis Sentinel (kombu
// SentinelChannel, celery.backends.redis.SentinelBackend).
const CELERY = 'sentinel://:pw@host1:26379/0;sentinel://host2:26380/0';

describe('Redis Sentinel URLs', () => {
  it('lists every sentinel; the first part gives the master password and database', () => {
    expect(parseSentinelUrl(`${CELERY.replace(/\/0;/, '/3;')}?master_name=mymaster`)).toEqual({
      sentinels: [
        { host: 'host1', port: 26379 },
        { host: 'host2', port: 26380 },
      ],
      name: 'mymaster',
      db: 3,
      password: 'pw',
    });
  });

  it("defaults a sentinel's port to 26379 and reads the sentinels' own credentials", () => {
    const url =
      'sentinel://u:p%40ss@a/1?master_name=m&sentinel_password=sp&sentinel_username=su;sentinel://b';
    expect(parseSentinelUrl(url)).toEqual({
      sentinels: [
        { host: 'a', port: 26379 },
        { host: 'b', port: 26379 },
      ],
      name: 'm',
      db: 1,
      username: 'u',
      password: 'p@ss',
      sentinelUsername: 'su',
      sentinelPassword: 'sp',
    });
  });

  it('refuses a URL without a master name, saying how to give it', () => {
    expect(() => parseSentinelUrl(CELERY)).toThrow(ConfigurationError);
    expect(() => parseSentinelUrl(CELERY)).toThrow(/names no master: add \?master_name=/);
    expect(() => checkTransportUrl('broker', CELERY)).toThrow(/\?master_name=/);
    expect(() => checkTransportUrl('resultBackend', `${CELERY}?master_name=m`)).not.toThrow();
    expect(() =>
      checkTransportUrl('broker', 'sentinel://a/x;sentinel://b/0?master_name=m'),
    ).toThrow(/a database number/);
    expect(() => checkTransportUrl('broker', 'sentinel://a/0;redis://b/0?master_name=m')).toThrow(
      /"sentinel:\/\/"/,
    );
  });

  it('takes the master name from options, which win over the URL', () => {
    const url = withSentinelOptions(`${CELERY}?master_name=old`, {
      masterName: 'mymaster',
      sentinelPassword: 's',
    });
    expect(parseSentinelUrl(url)).toMatchObject({ name: 'mymaster', sentinelPassword: 's' });
    expect(withSentinelOptions('redis://h/0', { masterName: 'x' })).toBe('redis://h/0');
  });

  it('strips kombu transport options from any part, keeping the Sentinel ones', () => {
    const parsed = parseRedisBrokerUrl(
      'sentinel://h1:26379/0?visibility_timeout=30;sentinel://h2:26379/0?master_name=m&global_keyprefix=p:',
    );
    expect(parsed.options).toEqual({ visibilityTimeout: 30, globalKeyprefix: 'p:' });
    expect(parseSentinelUrl(parsed.url).name).toBe('m');
    expect(parsed.url).not.toMatch(/visibility_timeout|global_keyprefix/);
  });

  it('counts as a Redis URL for the worker stores, with its database and masked passwords', () => {
    const url =
      'sentinel://:secret@h1/2;sentinel://:secret@h2/2?master_name=m&sentinel_password=sp';
    expect(redisUrlOf(url, undefined)).toBe(url);
    expect(dbOf(url)).toBe(2);
    for (const masked of [maskSentinelUrl(url), redactUrl(url)]) {
      expect(masked).not.toMatch(/secret|=sp/);
      expect(masked).toContain('sentinel://:***@h1/2;sentinel://:***@h2/2?master_name=m');
    }
  });
});
