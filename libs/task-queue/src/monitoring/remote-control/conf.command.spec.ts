import { describe, expect, it } from 'vitest';
import { filterHiddenSettings, maskPassword } from './conf.command.js';

describe("inspect conf masks secrets as Celery's filter_hidden_settings", () => {
  it('masks the password of broker and backend URLs, with eight asterisks', () => {
    expect(
      filterHiddenSettings({
        broker_url: 'amqp://guest:guest@127.0.0.1:5672//',
        result_backend: 'redis://:s3cret@127.0.0.1:6379/0',
        task_default_queue: 'celery',
      }),
    ).toEqual({
      broker_url: 'amqp://guest:********@127.0.0.1:5672//',
      result_backend: 'redis://:********@127.0.0.1:6379/0',
      task_default_queue: 'celery',
    });
  });

  it('masks a setting whose name says secret, recursing into mappings', () => {
    expect(
      filterHiddenSettings({ aws_secret_key: 'x', nested: { api_token: 'y', other: 1 } }),
    ).toEqual({ aws_secret_key: '********', nested: { api_token: '********', other: 1 } });
  });

  it('leaves a URL without a password as it is', () => {
    expect(maskPassword('redis://127.0.0.1:6379/0')).toBe('redis://127.0.0.1:6379/0');
  });
});
