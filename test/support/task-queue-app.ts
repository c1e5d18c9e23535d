import type { INestApplicationContext, ModuleMetadata, Provider } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import {
  TaskQueueModule,
  WorkerHttpServer,
  type TaskQueueOptions,
  type WorkerHttpOptions,
} from 'celeriac';

/** What a test app holds beside `TaskQueueModule.forRoot(options)`, and whether it boots. */
export interface TaskQueueAppParts {
  /** Modules imported after TaskQueueModule: beat, metrics, terminus, a fixture module. */
  imports?: NonNullable<ModuleMetadata['imports']>;
  /** Task classes and what they inject. */
  providers?: Provider[];
  /** Call `init()` (connect, start the worker) before returning; default true. */
  init?: boolean;
}

/**
 * `base` with `overrides` on top, for a spec's `app(extra)` helper: keys of `overrides`
 * replace those of `base`, except `worker`, whose keys are merged one by one.
 */
export function withOverrides(
  base: TaskQueueOptions,
  overrides: TaskQueueOptions = {},
): TaskQueueOptions {
  return { ...base, ...overrides, worker: { ...base.worker, ...overrides.worker } };
}

/**
 * A Nest testing module with `TaskQueueModule.forRoot(options)`, then `imports`, and
 * `providers`; initialised unless `init: false`. The worker's start-up banner is off unless
 * `options.worker.banner` turns it on; every other option is what `options` says.
 */
export async function createTaskQueueApp(
  options: TaskQueueOptions,
  { imports = [], providers = [], init = true }: TaskQueueAppParts = {},
): Promise<TestingModule> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      TaskQueueModule.forRoot({ ...options, worker: { banner: false, ...options.worker } }),
      ...imports,
    ],
    providers,
  }).compile();
  return init ? moduleRef.init() : moduleRef;
}

/** `worker.http` on a free port of the loopback, read back with `workerHttpBase`. */
export const LOOPBACK_HTTP: Readonly<WorkerHttpOptions> = { port: 0, host: '127.0.0.1' };

/** `http://127.0.0.1:<port>` of the app's worker HTTP server (started with `LOOPBACK_HTTP`). */
export function workerHttpBase(app: INestApplicationContext): string {
  return `http://127.0.0.1:${app.get(WorkerHttpServer).address!.port}`;
}
