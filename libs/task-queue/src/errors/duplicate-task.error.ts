import { TaskQueueError } from './task-queue.error.js';

/** Two handlers claim the same task name. @publicApi */
export class DuplicateTaskError extends TaskQueueError {
  constructor(
    readonly taskName: string,
    readonly first: string,
    readonly second: string,
  ) {
    super(
      first !== second
        ? `Task "${taskName}" is declared twice: by ${first} and by ${second}. ` +
            `Give one of them another name: @Task('another.name').`
        : taskName.startsWith('celery.')
          ? `Task "${taskName}" (built in) is registered twice: TaskQueueModule.forRoot() is ` +
            `imported twice. Import it once, in the root module (it is global). ` +
            `TaskQueueTestingModule.forRoot() imports it too: to test a module that imports ` +
            `TaskQueueModule.forRoot(), replace that import with ` +
            `overrideModule(<the forRoot() result>).useModule(TaskQueueTestingModule.forRoot()) ` +
            `(see docs/testing.md).`
          : `Task "${taskName}" is registered twice by ${first}: its class is in the providers ` +
            `of two modules, or TaskQueueModule.forRoot() is imported twice. List the class in ` +
            `one module's providers (export it for others), and import TaskQueueModule once, ` +
            `in the root module.`,
    );
  }
}
