#!/usr/bin/env node
// The `celeriac` command: a thin launcher for the compiled CLI in ../dist/cli/main.js.
import { existsSync } from 'node:fs';
import { URL } from 'node:url';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  console.error('celeriac: the CLI is not built yet; run `npm run build` in the repository first.');
  process.exit(1);
}
const { runCli } = await import(main.href);
process.exit(await runCli(process.argv.slice(2)));
