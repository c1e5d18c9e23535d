import { describe, expect, it } from 'vitest';
import { TaskRevokedError } from './task-revoked.error.js';

describe('TaskRevokedError', () => {
  it('says what each usual reason means, and quotes any other', () => {
    expect(new TaskRevokedError('t1', 'revoked').message).toBe(
      'Task t1 was revoked before it ran (revoke(), or celery control revoke).',
    );
    expect(new TaskRevokedError('t2', 'expired').message).toBe(
      'Task t2 was revoked: expired (it had not started when its expires time passed).',
    );
    expect(new TaskRevokedError('t3', 'terminated', 'SIGTERM').message).toBe(
      'Task t3 was revoked: terminated (a revoke with terminate stopped it while it ran).',
    );
    expect(new TaskRevokedError('t4', 'maintenance').message).toBe(
      'Task t4 was revoked: maintenance.',
    );
    expect(new TaskRevokedError('t5', 'toString').message).toBe('Task t5 was revoked: toString.');
    expect(new TaskRevokedError('t6', 'expired').reason).toBe('expired');
  });
});
