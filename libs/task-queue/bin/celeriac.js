#!/usr/bin/env node
// The `celeriac` command: a thin launcher for the compiled CLI in ../dist/cli/main.js.
import { existsSync } from 'node:fs';
import { URL } from 'node:url';

// `celeriac health` is an exec probe: it loads only its own module (no Nest, no transports).
if (process.argv[2] === 'health' && !process.argv.includes('--help')) {
  const probe = new URL('../dist/cli/health-probe.js', import.meta.url);
  if (existsSync(probe)) {
    const { runHealthProbe } = await import(probe.href);
    process.exit(await runHealthProbe(process.argv.slice(3)));
  }
}
const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  console.error('celeriac: the CLI is not built yet; run `npm run build` in the repository first.');
  process.exit(1);
}
const { runCli } = await import(main.href);
process.exit(await runCli(process.argv.slice(2)));
