import { DataSource } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { createApp } from '../__fixtures__/create-app.js';
import { ConfigurationError } from '../errors/configuration.error.js';
import { hasCommitHooks } from './commit-hooks.installer.js';

describe('TaskQueueModule typeorm option', () => {
  it('installs commit hooks on an initialized DataSource at boot', async () => {
    const dataSource = await new DataSource({ type: 'sqljs', entities: [] }).initialize();
    const app = await createApp({ typeorm: { dataSource } }, []);
    expect(hasCommitHooks(dataSource)).toBe(true);
    await app.close();
    await dataSource.destroy();
  });

  it('fails boot with a clear error when the DataSource is not initialized', async () => {
    const dataSource = new DataSource({ type: 'sqljs', entities: [] });
    const boot = createApp({ typeorm: { dataSource } }, []);
    await expect(boot).rejects.toBeInstanceOf(ConfigurationError);
    await expect(createApp({ typeorm: { dataSource } }, [])).rejects.toThrow(
      /typeorm\.dataSource is not initialized at application bootstrap/,
    );
  });

  it('rejects a typeorm option without a DataSource, naming the option', async () => {
    await expect(createApp({ typeorm: { dataSource: {} as DataSource } }, [])).rejects.toThrow(
      /"typeorm\.dataSource" must be a TypeORM DataSource/,
    );
  });
});
