// Bundle the dashboard UI (Preact + htm + uPlot) into assets/app.js and assets/app.css with
// esbuild: one minified file each, no CDN, nothing loaded at run time from elsewhere.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const result = await build({
  entryPoints: { app: join(root, 'ui/main.js') },
  outdir: join(root, 'assets'),
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});
const sizes = Object.entries(result.metafile.outputs)
  .map(([file, { bytes }]) => `${file.split('/').pop()} ${(bytes / 1024).toFixed(1)} KiB`)
  .join(', ');
if (process.env.CELERIAC_QUIET !== '1') console.log(`dashboard UI: ${sizes}`);
