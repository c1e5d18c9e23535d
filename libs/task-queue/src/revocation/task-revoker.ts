import { Inject, Injectable, Optional } from '@nestjs/common';
import type { ControlRevokeOptions } from '../monitoring/remote-control/control-client.options.js';
import { RevokedTasks } from './revoked-tasks.js';

/** DI token of the {@link RevokeBroadcast}; the module binds it to the remote-control client. */
export const REVOKE_BROADCAST = Symbol('celeriac:revoke-broadcast');

/** Tells running workers (Python and Node) to revoke tasks: remote control's `revoke`. */
export interface RevokeBroadcast {
  revoke(ids: string | string[], options: ControlRevokeOptions): Promise<unknown>;
}

/**
 * Revokes tasks on every worker: persisted in the revocation store, so workers that are offline
 * skip the task when they start, then broadcast so running workers skip it too (`terminate`
 * aborts it where it runs). `TaskClient.revoke` and `AsyncResult.revoke` come here.
 */
@Injectable()
export class TaskRevoker {
  constructor(
    private readonly revoked: RevokedTasks,
    @Optional() @Inject(REVOKE_BROADCAST) private readonly broadcast?: RevokeBroadcast,
  ) {}

  async revoke(ids: string | string[], options: ControlRevokeOptions = {}): Promise<void> {
    await this.revoked.revoke(ids, { terminate: options.terminate, reason: 'revoked' });
    await this.broadcast?.revoke(ids, { ...options, reply: false });
  }
}
