/** Message factories for errors and logs: one place for every user-facing sentence. */
export const INVALID_OPTION = (option: string, accepted: string, got: unknown): string =>
  `TaskQueueModule: option "${option}" must be ${accepted}; got ${describeOptionValue(got)}.`;

/**
 * A rejected option value as the user wrote it: JSON where JSON says it (not `null` for NaN,
 * as `Number('abc')` from an environment variable gives), and never a throw of its own (a
 * BigInt or a cycle made JSON.stringify throw a TypeError in place of the ConfigurationError).
 */
function describeOptionValue(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'bigint') return `${value}n`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

export const NOT_A_TASK = (className: string, method: string): string =>
  `${className}.${method} is not a task: decorate it with @Task() (and make sure the class is a provider).`;

export const TASK_CLASS_NOT_PROVIDED = (className: string, method: string, name: string): string =>
  `${className}.${method} is @Task('${name}'), but ${className} is not a provider of any module ` +
  `of this application, so its tasks are sent and no worker of this app runs them (they are ` +
  `dead-lettered as unregistered). Add ${className} to the providers of a module the app ` +
  `imports; for a task another service runs, send it by name: tasks.send('${name}', args).`;

export const TASK_CLASS_LOADED_LAZILY = (
  className: string,
  method: string,
  name: string,
  moduleName: string,
): string =>
  `${className}.${method} is @Task('${name}'), but ${className} is a provider of ${moduleName}, ` +
  `a module loaded after boot (LazyModuleLoader): @Task() methods are discovered once, at boot, ` +
  `so this app's workers do not run it (its messages are dead-lettered as unregistered). ` +
  `To run it here, import ${moduleName} statically (in the imports of a module of the app); ` +
  `sending it from the lazy module works as is.`;

export const NO_RESULT_BACKEND = (taskId: string): string =>
  `Cannot read the result of task ${taskId}: no result backend is configured. ` +
  `Set TaskQueueModule.forRoot({ resultBackend: 'redis://...' }) (or 'memory://').`;

export const REQUEST_SCOPED_TASK = (className: string): string =>
  `${className} is request-scoped or transient (or depends on a request-scoped provider): its ` +
  `@Task() methods run on a new instance per task, resolved with a fresh context id.`;

export const OVERRIDE_WITHOUT_TASK_METHOD = (className: string, method: string): string =>
  `${className} is overridden by a value without ${method}(), its @Task() method: that task is ` +
  `not registered (its messages are dead-lettered as unregistered). Give the override a ` +
  `${method}() method to run it.`;

export const DECORATOR_ON_NON_METHOD = (
  decorator: string,
  className: string,
  member: string,
  what: string,
): string =>
  `${decorator} is on ${className}.${member}, which is ${what}: ${decorator} goes on an instance ` +
  `method of a provider (it is called on the provider's instance). Make ${member} an instance method.`;

export const OUTSIDE_TASK = (what: string): string =>
  `TaskContext.${what} was used outside a running task. It is only available while a @Task() handler runs.`;

export const ISOLATE_MODULE_WITHOUT_TASK_QUEUE = (moduleUrl: string, exportName: string): string =>
  `The isolate module ${exportName} (${moduleUrl}) does not import TaskQueueModule. Each ` +
  `isolate boots this module on its own: add TaskQueueModule.forRoot() (or forRootAsync()) ` +
  `with the worker's broker and result backend to its imports (see docs/pools.md).`;
