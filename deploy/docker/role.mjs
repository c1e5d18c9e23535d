// Entry point of the Celeriac image: picks the role and runs it inside this very Node process,
// which stays PID 1, so SIGTERM reaches the app's own handler (handleShutdownSignals) directly.
//   CELERIAC_ROLE=api|worker|beat  (or the role as first argument; arguments after `beat` go to
//   `celeriac beat`).
import { existsSync } from 'node:fs';

const APP = new URL('../../', import.meta.url);
const MAINS = {
  api: 'dist/apps/demo/src/main.js',
  worker: 'dist/apps/demo/src/worker.main.js',
};
const ROLES = ['api', 'worker', 'beat'];

const [first, ...rest] = process.argv.slice(2);
const role = first ?? process.env.CELERIAC_ROLE ?? 'worker';
if (!ROLES.includes(role)) {
  console.error(
    `celeriac image: unknown role "${role}" (from ${first ? 'the first argument' : 'CELERIAC_ROLE'}); ` +
      `use one of ${ROLES.join(', ')}.`,
  );
  process.exit(64);
}
process.env.CELERIAC_ROLE = role;

if (role === 'beat') {
  // Beat is the library's CLI command; this image adds nothing to it.
  const cli = await import(new URL('libs/task-queue/dist/cli/main.js', APP).href);
  if (!cli.COMMANDS.some((command) => command.name === 'beat')) {
    console.error(
      'celeriac image: this build of the celeriac CLI has no "beat" command; ' +
        'the beat role needs a Celeriac version that ships `celeriac beat`.',
    );
    process.exit(78);
  }
  process.exitCode = await cli.runCli(['beat', ...rest]);
} else {
  if (rest.length > 0) {
    console.error(`celeriac image: the ${role} role takes no arguments (got: ${rest.join(' ')}).`);
    process.exit(64);
  }
  const main = new URL(MAINS[role], APP);
  if (!existsSync(main)) {
    console.error(`celeriac image: ${MAINS[role]} is missing; the image was not built completely.`);
    process.exit(70);
  }
  // The app's main module boots Nest and installs its SIGTERM / SIGINT handling.
  await import(main.href);
}
