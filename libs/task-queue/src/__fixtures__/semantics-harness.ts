import type { INestApplicationContext } from '@nestjs/common';
import { afterEach, beforeEach, vi } from 'vitest';
import type { TaskQueueOptions } from '../config/task-queue-options.interface.js';
import type { AsyncResult } from '../results/async-result.js';
import { createApp } from './create-app.js';
import { SemanticsModule } from './semantics.fixture.js';

// The execution-semantics specs' harness. Time-based rules run on fake timers: no real sleeps.
const apps: INestApplicationContext[] = [];

/** Fake timers for each test, and every app of the test closed after it. */
export function useSemanticsHarness(): void {
  beforeEach(() => {
    vi.useFakeTimers({
      toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
    });
  });
  afterEach(async () => {
    for (const a of apps.splice(0)) await a.close();
    vi.useRealTimers();
  });
}

/** An app with the semantics fixtures, closed after the test. */
export async function app(options: TaskQueueOptions = {}): Promise<INestApplicationContext> {
  const created = await createApp(options, [SemanticsModule]);
  apps.push(created);
  return created;
}

/** Advance fake time by `ms`, then let the microtasks it started settle. */
export async function tick(ms = 0): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
  for (let i = 0; i < 5; i++) await vi.advanceTimersByTimeAsync(0);
}

/** Close an app while advancing fake time (its shutdown waits on timers). */
export async function closeApp(target: INestApplicationContext): Promise<void> {
  apps.splice(apps.indexOf(target), 1);
  const closing = target.close();
  await tick(10);
  await closing;
}

export async function stateOf(result: AsyncResult<unknown>): Promise<string> {
  return result.state();
}
