// Copy non-TypeScript assets (the Redis Lua scripts) from src/ to dist/, which tsc does not do.
import { cp } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
await cp(join(root, 'src'), join(root, 'dist'), {
  recursive: true,
  filter: (source) => !/\.[a-z]+$/i.test(source) || source.endsWith('.lua'),
});
