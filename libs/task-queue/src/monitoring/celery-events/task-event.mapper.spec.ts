import { describe, expect, it } from 'vitest';
import { TaskRevokedError } from '../../errors/task-revoked.error.js';
import type { TaskEvent } from '../../tasks/task-events.js';
import { celeryTaskFields } from './task-event.mapper.js';

const revoked = (cause?: unknown): TaskEvent =>
  ({ type: 'task-revoked', id: 't1', reason: 'terminated', cause }) as unknown as TaskEvent;

describe('task-revoked event fields', () => {
  it("signum is the revoke's signal number, as Celery's event carries it", () => {
    expect(
      celeryTaskFields(revoked(new TaskRevokedError('t1', 'terminated', 'SIGUSR1'))),
    ).toMatchObject({ terminated: true, signum: 10 });
  });

  it('signum is 15 (SIGTERM) when the revoke named none', () => {
    expect(celeryTaskFields(revoked())).toMatchObject({ terminated: true, signum: 15 });
  });
});
