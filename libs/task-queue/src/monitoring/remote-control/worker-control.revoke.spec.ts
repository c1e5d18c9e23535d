import { describe, expect, it } from 'vitest';
import { WorkerControlCommands, type ControlTargets } from './worker-control.commands.js';

/**
 * `revoke` with terminate replies as Celery does: `terminate: <ids>` for the tasks it found
 * running. Terminating a task can take it out of the worker's active list before `revoke()`
 * resolves (an isolate pool settles it at once), so the running tasks are read before.
 */
describe('revoke with terminate', () => {
  function commands(active: string[]): WorkerControlCommands {
    const targets = {
      worker: { snapshot: () => ({ active: active.map((id) => ({ id })) }) },
      revoked: {
        revoke: (ids: string[]) => {
          active = active.filter((id) => !ids.includes(id));
          return Promise.resolve();
        },
      },
    } as unknown as ControlTargets;
    return new WorkerControlCommands(targets);
  }

  it('names the running tasks it terminated, even when terminating them ends them at once', async () => {
    const reply = await commands(['a', 'b']).run('revoke', {
      task_id: ['a', 'c'],
      terminate: true,
    });
    expect(reply).toEqual({ ok: 'terminate: a' });
  });

  it('says "tasks unknown" when none of them runs here', async () => {
    const reply = await commands(['b']).run('revoke', { task_id: 'a', terminate: true });
    expect(reply).toEqual({ ok: 'terminate: tasks unknown' });
  });
});
