import { ResultBackendError } from './result-backend.error.js';

/**
 * `GroupResult.save()` or `TaskClient.restoreGroup()` on a result backend that cannot keep
 * groups: `rpc://` (as in Celery, whose rpc backend has no persistent state), or none at all.
 * Use the `redis`, `typeorm` or `memory` result backend to save groups.
 * @publicApi
 */
export class GroupStoreUnsupportedError extends ResultBackendError {
  constructor(
    /** The configured result backend's kind (`rpc`), or `none`. */
    readonly backend: string,
    /** What was attempted: `GroupResult.save()` or `restoreGroup()`. */
    readonly operation: string,
  ) {
    super(
      `${operation} needs a result backend that keeps groups (redis, typeorm or memory); ` +
        `the ${backend === 'none' ? 'application has no result backend' : `${backend} result backend does not keep groups, as in Celery`}.`,
    );
  }
}
