import type { Delivery } from '../contracts/broker.interface.js';
import type { TaskRequest } from '../protocol/task-request.js';
import type { TaskDefinition } from '../tasks/task-definition.js';
import type { TaskAbort } from './lazy-abort.js';
import type { TaskPools } from './pool/task-pools.js';
import type { RunningTaskState } from './running-task.js';
import { bindArguments, limitsOf, runWithLimits, validateArguments } from './task-runner.js';

/**
 * Call the task's handler: in its isolate pool when it has one, else inline with its arguments
 * bound (and validated by its schema) under its time limits. Returns the handler's value or
 * promise; a static handler runs without waiting for `resolve()`. Throws what a synchronous
 * handler (or argument binding) throws.
 */
export function invokeTask(
  pools: TaskPools,
  definition: TaskDefinition,
  request: TaskRequest,
  hostname: string,
  delivery: Delivery,
  controller: TaskAbort,
  running: RunningTaskState,
): unknown {
  if (pools.enabled) {
    const pool = pools.poolFor(definition);
    if (pool) {
      const deliveryInfo = { ...delivery.deliveryInfo, redelivered: delivery.redelivered };
      const limits = limitsOf(request, definition);
      return pool.run({ request, hostname, deliveryInfo, controller, limits, running });
    }
  }
  const bound = bindArguments(request, definition);
  const limits = limitsOf(request, definition);
  const schema = definition.options.schema;
  if (schema) {
    const validated = validateArguments(schema, bound, request.name);
    return Promise.all([validated, definition.handler ?? definition.resolve()]).then(
      ([args, handler]) => runWithLimits(handler, args, running, controller, limits),
    );
  }
  if (definition.handler)
    return runWithLimits(definition.handler, bound, running, controller, limits);
  return definition
    .resolve()
    .then((handler) => runWithLimits(handler, bound, running, controller, limits));
}
