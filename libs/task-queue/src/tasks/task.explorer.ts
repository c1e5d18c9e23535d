import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ContextIdFactory, DiscoveryService, MetadataScanner, ModuleRef } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import type { ResolvedTaskQueueOptions } from '../config/resolved-options.js';
import { validateTaskOptions } from '../config/task-options.validator.js';
import { OVERRIDE_WITHOUT_TASK_METHOD, REQUEST_SCOPED_TASK } from '../task-queue.messages.js';
import { getTaskQueueConfigToken } from '../utils/tokens.js';
import { TaskEventListeners } from './task-event.listeners.js';
import { TaskEvents } from './task-events.js';
import { TaskMetadataAccessor } from './task-metadata.accessor.js';
import { TaskRegistry } from './task.registry.js';

type Handler = (...args: unknown[]) => unknown;

/**
 * Finds every `@Task()` method on every provider of the application (all feature modules, no
 * registration list) and registers it. Request-scoped providers are resolved per task.
 * `@OnTaskEvent()` methods found on the way go to {@link TaskEventListeners}.
 */
@Injectable()
export class TaskExplorer implements OnModuleInit {
  private readonly logger = new Logger('TaskQueue');
  private readonly listeners: TaskEventListeners;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly accessor: TaskMetadataAccessor,
    private readonly registry: TaskRegistry,
    private readonly moduleRef: ModuleRef,
    events: TaskEvents,
    @Inject(getTaskQueueConfigToken()) private readonly config: ResolvedTaskQueueOptions,
  ) {
    this.listeners = new TaskEventListeners(events, this.logger);
  }

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) this.exploreProvider(wrapper);
  }

  private exploreProvider(wrapper: InstanceWrapper): void {
    // NOTE: for useValue / useFactory providers `metatype` is not the class; the instance's
    // constructor is. Request-scoped wrappers have no static instance yet: use the metatype.
    const perTask = wrapper.isTransient || !wrapper.isDependencyTreeStatic();
    const staticInstance = perTask ? undefined : (wrapper.instance as object | undefined);
    const prototype: object | undefined = staticInstance
      ? Object.getPrototypeOf(staticInstance)
      : (wrapper.metatype as { prototype?: object } | null)?.prototype;
    if (!prototype || typeof prototype !== 'object') return;
    const ownClassName = (prototype.constructor as { name?: string }).name ?? 'Anonymous';
    const declared = declaredPrototypeOf(wrapper, prototype);
    const methods = new Set(this.scanner.getAllMethodNames(prototype));
    if (declared)
      for (const method of this.scanner.getAllMethodNames(declared)) methods.add(method);
    let warned = false;
    for (const method of methods) {
      let fn = (prototype as Record<string, unknown>)[method];
      const listener = this.accessor.getTaskEventListener(fn);
      if (listener) this.listeners.subscribe(ownClassName, method, listener, staticInstance);
      let metadata = this.accessor.getTaskMetadata(fn);
      let className = ownClassName;
      let source = prototype;
      const declaredMetadata = declared
        ? this.accessor.getTaskMetadata((declared as Record<string, unknown>)[method])
        : undefined;
      if (declared && declaredMetadata) {
        // NOTE: an override (Test.overrideProvider(X).useValue / useClass) or a `useClass` of
        // X stands in for the class X it is provided as: X's task names, with the override's
        // implementation (and X's @Task() options unless the override declares its own).
        fn = ((staticInstance ?? prototype) as Record<string, unknown>)[method];
        metadata = this.accessor.getTaskMetadata(fn) ?? declaredMetadata;
        className = (declared.constructor as { name: string }).name;
        source = declared;
        if (typeof fn !== 'function') {
          this.logger.warn(OVERRIDE_WITHOUT_TASK_METHOD(className, method));
          continue;
        }
      }
      if (!metadata) continue;
      const name = TaskMetadataAccessor.taskName(className, method, metadata);
      const options = {
        ...this.config.taskDefaults,
        ...validateTaskOptions(metadata.options, `@Task('${name}')`),
      };
      if (!staticInstance && !warned) {
        this.logger.log(REQUEST_SCOPED_TASK(className));
        warned = true;
      }
      const handler = staticInstance ? (fn as Handler).bind(staticInstance) : undefined;
      this.registry.register({
        name,
        options,
        source: `${className}.${method}`,
        arity: (fn as Handler).length,
        maxArity: maxArityOf(source, method, fn as Handler, options.params),
        handler,
        resolve: handler ? async () => handler : async () => this.resolvePerTask(wrapper, method),
      });
    }
  }

  private async resolvePerTask(wrapper: InstanceWrapper, method: string): Promise<Handler> {
    const contextId = ContextIdFactory.create();
    const instance = await this.moduleRef.resolve<Record<string, Handler>>(
      wrapper.token,
      contextId,
      {
        strict: false,
      },
    );
    return instance[method]!.bind(instance);
  }
}

/**
 * The prototype of the class a provider was declared as, when its instance is something else:
 * `{ provide: X, useValue }` or an override of X in a testing module.
 */
function declaredPrototypeOf(wrapper: InstanceWrapper, prototype: object): object | undefined {
  const token: unknown = wrapper.token;
  if (typeof token !== 'function') return undefined;
  const declared = (token as { prototype?: unknown }).prototype;
  return declared && typeof declared === 'object' && declared !== prototype ? declared : undefined;
}

/**
 * The most positional arguments a handler takes: `params` when given, else the declared
 * parameter count from `design:paramtypes` (optional and defaulted ones included); null for a
 * rest parameter (`...args`) or when no metadata was emitted (nothing to check against).
 */
function maxArityOf(
  prototype: object,
  method: string,
  fn: Handler,
  params: string[] | undefined,
): number | null {
  if (hasRestParameter(fn)) return null;
  if (params) return params.length;
  const types: unknown = Reflect.getMetadata('design:paramtypes', prototype, method);
  return Array.isArray(types) ? types.length : null;
}

/** True when the function's source ends its parameter list with `...name`. */
function hasRestParameter(fn: Handler): boolean {
  let source: string;
  try {
    source = Function.prototype.toString.call(fn);
  } catch {
    return false;
  }
  const body = source.indexOf('{');
  const head = body >= 0 ? source.slice(0, body) : source;
  return /\.\.\.\s*[\w$]+\s*\)\s*(=>\s*)?$/.test(head.trimEnd());
}
