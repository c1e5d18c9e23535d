import { type INestApplicationContext, Logger } from '@nestjs/common';
import { WorkerService } from './worker.service.js';

export interface ShutdownSignalsOptions {
  /** Signals that start a graceful shutdown; default `['SIGTERM', 'SIGINT']`. */
  signals?: NodeJS.Signals[];
  /** ms a cold shutdown (second signal) may take to requeue and disconnect; default 3000. */
  coldShutdownTimeout?: number;
}

/**
 * Let the process exit the way a worker should on SIGTERM / SIGINT, instead of Nest's
 * `app.enableShutdownHooks()` (which re-raises the signal after closing, so even a clean
 * shutdown ends with exit code 143 / 130):
 *
 * - first signal: `app.close()` (the worker stops fetching, gives running tasks up to
 *   `shutdownTimeout`, requeues the rest, then connections close), then exit code 0;
 *   1 when closing failed;
 * - a second signal while closing: cold shutdown, everything the worker holds is requeued at
 *   once, connections close (bounded by `coldShutdownTimeout`), exit code 1.
 *
 * Opt-in, called by the application's entry point: the library itself installs no process
 * signal handler. Pass the promise of `NestFactory.create…` itself
 * (`handleShutdownSignals(NestFactory.createApplicationContext(WorkerModule))`) so that a signal
 * that arrives while the app is still booting (the worker may already be consuming) also drains
 * it; a resolved app works too. Returns a function that removes the listeners again.
 * @publicApi
 */
export function handleShutdownSignals(
  appOrBooting: INestApplicationContext | Promise<INestApplicationContext>,
  options: ShutdownSignalsOptions = {},
): () => void {
  const booting = Promise.resolve(appOrBooting);
  const logger = new Logger('TaskQueue');
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const coldTimeout = options.coldShutdownTimeout ?? 3_000;
  let closing = false;

  const cold = async (signal: NodeJS.Signals): Promise<void> => {
    logger.warn(`Second ${signal}: cold shutdown, requeueing everything and exiting now.`);
    const worker = await Promise.race([
      booting.then(workerOf, () => undefined),
      delay(coldTimeout),
    ]);
    await Promise.race([
      worker?.coldShutdown(`second ${signal}`).catch((error: Error) => {
        logger.error(`Cold shutdown failed: ${error.message}`);
      }),
      delay(coldTimeout),
    ]);
    process.exit(1);
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    if (closing) {
      void cold(signal);
      return;
    }
    closing = true;
    // An idle worker otherwise exits without a word (Celery logs its warm shutdown too).
    logger.log(
      `${signal} received: warm shutdown (running tasks may finish, the rest are requeued); send ${signal} again to stop at once.`,
    );
    void booting
      .then((app) => {
        // Readiness goes down now, before the drain (Kubernetes stops routing first).
        workerOf(app)?.beginShutdown();
        return app.close();
      })
      .then(
        () => {
          logger.log('Shut down cleanly; exiting with code 0.');
          process.exit(0);
        },
        (error: Error) => {
          logger.error(`Shutdown failed: ${error.message}`, error.stack);
          process.exit(1);
        },
      );
  };

  for (const signal of signals) process.on(signal, onSignal);
  return () => {
    for (const signal of signals) process.off(signal, onSignal);
  };
}

function delay(ms: number): Promise<undefined> {
  return new Promise((resolve) => setTimeout(() => resolve(undefined), ms).unref());
}

function workerOf(app: INestApplicationContext): WorkerService | undefined {
  try {
    return app.get(WorkerService, { strict: false });
  } catch {
    return undefined;
  }
}
