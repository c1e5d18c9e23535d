/**
 * The program a pool isolate runs (a worker thread or a forked child process): boot a Nest
 * application context from the module the worker names, report the tasks it has, then run
 * the jobs the pool sends until it is closed or killed. Not imported by the library itself:
 * the pool starts this file.
 */
import 'reflect-metadata';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext, Type } from '@nestjs/common';
import { ConfigurationError } from '../../errors/configuration.error.js';
import { IsolatedTaskError } from '../../errors/isolated-task.error.js';
import { ISOLATE_MODULE_WITHOUT_TASK_QUEUE } from '../../task-queue.messages.js';
import { TaskRegistry } from '../../tasks/task.registry.js';
import { ISOLATE_WORKER_DATA } from '../../utils/isolate-role.js';
import { ResultRecorder } from '../result-recorder.js';
import { errorInfoOf } from './isolate-errors.js';
import type { FromIsolate, IsolateInit, ToIsolate } from './isolate-protocol.js';
import { importsTaskQueueModule } from './isolate-module-check.js';
import { IsolateRunner } from './isolate-runner.js';
import { watchParent } from './orphan-watchdog.js';
import { ISOLATE_INIT_ENV } from './isolate-handle.js';

interface Channel {
  post(message: FromIsolate): void;
  listen(handler: (message: ToIsolate) => void): void;
}

function channel(): Channel {
  if (!isMainThread && parentPort) {
    const port = parentPort;
    return {
      post: (message) => port.postMessage(message),
      listen: (handler) => port.on('message', handler),
    };
  }
  // A forked child: the parent's IPC channel; the child ends with its parent (the watchdog
  // covers a main thread too busy to see the channel close).
  process.on('disconnect', () => process.exit(0));
  watchParent();
  // Tell the worker what kills this child (Node's own handling, printing and exit, still runs):
  // its tasks' WorkerLostError then names the error, as for a thread.
  process.on('uncaughtExceptionMonitor', (error) =>
    process.send?.({ k: 'fatal', error: errorInfoOf(error) } satisfies FromIsolate),
  );
  // Ctrl-C signals the whole process group: the worker's warm shutdown lets the running task
  // finish, so the child must not die of it (Celery's prefork children ignore SIGINT too).
  process.on('SIGINT', () => undefined);
  return {
    post: (message) => process.send?.(message),
    listen: (handler) => process.on('message', (message) => handler(message as ToIsolate)),
  };
}

function initOf(): IsolateInit {
  if (!isMainThread) return (workerData as Record<string, IsolateInit>)[ISOLATE_WORKER_DATA]!;
  return JSON.parse(process.env[ISOLATE_INIT_ENV] ?? '{}') as IsolateInit;
}

async function boot(init: IsolateInit): Promise<INestApplicationContext> {
  const loaded = (await import(init.moduleUrl)) as Record<string, unknown>;
  const module = loaded[init.exportName];
  if (typeof module !== 'function') {
    throw new Error(
      `${init.moduleUrl} has no export "${init.exportName}" holding a Nest module class`,
    );
  }
  // Without TaskQueueModule, Nest's own error (a DI failure naming TaskContext, or no
  // TaskRegistry) would not say what is missing: name the fix instead.
  const withoutTaskQueue = async (error: unknown): Promise<never> => {
    if (await importsTaskQueueModule(module)) throw error;
    throw new ConfigurationError(
      ISOLATE_MODULE_WITHOUT_TASK_QUEUE(init.moduleUrl, init.exportName),
    );
  };
  const app = await NestFactory.createApplicationContext(module as Type, {
    logger: ['error', 'warn'],
    abortOnError: false,
  }).catch(withoutTaskQueue);
  try {
    app.get(TaskRegistry, { strict: false });
  } catch (error) {
    await app.close();
    await withoutTaskQueue(error);
  }
  return app;
}

async function main(): Promise<void> {
  const link = channel();
  const init = initOf();
  let app: INestApplicationContext;
  try {
    app = await boot(init);
  } catch (error) {
    link.post({ k: 'boot-failed', error: errorInfoOf(error) });
    return;
  }
  const registry = app.get(TaskRegistry, { strict: false });
  const runner = new IsolateRunner(
    registry,
    app.get(ResultRecorder, { strict: false }),
    (message) => link.post(message),
    init.reportMemory,
  );
  link.listen((message) => {
    switch (message.k) {
      case 'run':
        return runner.run(message.jobs);
      case 'abort':
        return runner.abort(message.seq, new IsolatedTaskError(message.reason));
      case 'close':
        void app.close().finally(() => process.exit(0));
    }
  });
  link.post({ k: 'ready', tasks: registry.names() });
}

void main();
