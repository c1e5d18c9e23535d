import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const PACKAGE = join(dirname(fileURLToPath(import.meta.url)), '..');

/** What `npm pack` of @celeriac/dashboard ships besides dist (no build: the list only). */
describe('the @celeriac/dashboard package', () => {
  it('ships its LICENSE (MIT asks for the notice), README and CHANGELOG, and no sources, specs or maps', async () => {
    const { stdout } = await promisify(execFile)(
      'npm',
      ['pack', '--dry-run', '--json', '--ignore-scripts', '--loglevel=error'],
      { cwd: PACKAGE },
    );
    const [{ files }] = JSON.parse(stdout) as [{ files: { path: string }[] }];
    const paths = files.map((file) => file.path);
    expect(paths).toEqual(
      expect.arrayContaining(['LICENSE', 'README.md', 'CHANGELOG.md', 'package.json']),
    );
    expect(paths.filter((path) => /^src\/|\.map$|\.spec\./.test(path))).toEqual([]);
  }, 60_000);
});
