import { Module } from '@nestjs/common';
import { ConfigurationError } from 'celeriac';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../libs/task-queue/src/__fixtures__/create-app.js';
import { PoolTasks } from '../../apps/pools/src/pool.tasks.js';
import { ensureBuilt, ROOT } from '../support/interop-build.js';
import { poolAppOptions } from '../support/pool-app.js';

/**
 * An isolate module that does not import TaskQueueModule: the worker's boot fails with a
 * ConfigurationError that names the module and the fix, not Nest's generic DI error.
 */
const MISCONFIGURED = join(ROOT, 'dist/apps/pools/src/pool-misconfigured.module.js');

@Module({ providers: [PoolTasks] })
class MainTasks {}

async function bootError(exportName: string): Promise<Error> {
  const { options } = poolAppOptions(
    { concurrency: 2 },
    { module: MISCONFIGURED, export: exportName, size: 1, spare: 0 },
  );
  const booted = createApp(options, [MainTasks]).then(
    async (app) => {
      await app.close();
      throw new Error('the worker booted');
    },
    (error: unknown) => error as Error,
  );
  return booted;
}

beforeAll(() => ensureBuilt(), 120_000);

describe('an isolate module without TaskQueueModule', () => {
  it('whose task provider injects TaskContext fails boot with an error that names the fix', async () => {
    const error = await bootError('PoolWithoutQueueModule');
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain('PoolWithoutQueueModule');
    expect(error.message).toContain('TaskQueueModule.forRoot');
    expect(error.message).not.toContain("can't resolve dependencies");
  }, 60_000);

  it('with no providers fails boot with the same error, not "could not find TaskRegistry"', async () => {
    const error = await bootError('PoolEmptyModule');
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain('PoolEmptyModule');
    expect(error.message).toContain('TaskQueueModule.forRoot');
    expect(error.message).not.toContain('TaskRegistry');
  }, 60_000);
});
