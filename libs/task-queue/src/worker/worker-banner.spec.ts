import { describe, expect, it } from 'vitest';
import { resolveTaskQueueOptions } from '../config/task-queue-options.validator.js';
import { workerBanner } from './worker-banner.js';

describe('workerBanner', () => {
  const config = resolveTaskQueueOptions({ worker: { queues: ['celery'] } });
  const banner = workerBanner(config, {
    hostname: 'w@host',
    broker: 'redis://:secret@127.0.0.1:6379/0',
    backend: 'memory://',
    tasks: [
      { name: 'celery.chord_unlock', queue: 'celery' },
      { name: 'notifications.email', queue: 'notifications' },
      { name: 'orders.process', queue: 'celery' },
    ],
    queues: ['celery'],
  });

  it('marks a task whose queue this worker does not consume, and says what to do', () => {
    expect(banner).toContain(
      '    . notifications.email (sent to queue "notifications", which this worker does not ' +
        'consume: add it to worker.queues, or run a worker that does)',
    );
  });

  it('lists consumed tasks plainly, and masks the password', () => {
    const lines = banner.split('\n');
    expect(lines).toContain('    . orders.process');
    expect(lines).toContain('    . celery.chord_unlock');
    expect(banner).toContain('redis://:**@127.0.0.1:6379/0');
  });
});
