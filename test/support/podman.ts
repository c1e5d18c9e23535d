import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './interop-build.js';
import { ManagedProcess } from './managed-process.js';

const run = promisify(execFile);

/**
 * podman on this kind of machine (docs/deployment.md, "Without a Docker engine"): crun cannot
 * raise the rlimits nor handle hybrid cgroups, so every command uses runc and lowered ulimits.
 */
export const PODMAN_GLOBAL = ['--runtime', 'runc'];
export const LIMITS = ['--ulimit', 'nofile=4096:4096', '--ulimit', 'nproc=1024:1024'];

/** `podman <args>`; with `nice`, at that niceness (its children inherit it). */
export async function podman(args: string[], timeoutMs = 120_000, nice = 0): Promise<string> {
  const { stdout } = await run(...niced(nice, 'podman', [...PODMAN_GLOBAL, ...args]), {
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

function niced(nice: number, command: string, args: string[]): [string, string[]] {
  return nice === 0 ? [command, args] : ['nice', ['-n', String(nice), command, ...args]];
}

/**
 * The offline Node base image (deploy/podman/build-node-base.sh: this machine's node, npm and
 * libraries; without npm for the runtime stage), installing podman / runc / uidmap first when
 * root and missing.
 */
export async function nodeBaseImage(withNpm = true, nice = 0): Promise<string> {
  const script = join(ROOT, 'deploy/podman/build-node-base.sh');
  const args = [script, ...(withNpm ? [] : ['--without-npm'])];
  const { stdout } = await run(...niced(nice, 'bash', args), { timeout: 300_000 });
  return stdout.trim().split('\n').at(-1)!;
}

/** The host's npm CA file setting, so npm in the build trusts the same registry proxy. */
function hostCafile(): string | undefined {
  try {
    const value = execFileSync('npm', ['config', 'get', 'cafile'], { encoding: 'utf8' }).trim();
    return value && value !== 'null' && value !== 'undefined' ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `podman build` of the repository's Dockerfile on `base` (`runtime` for the last stage),
 * tagged `tag`. npm in the build
 * reads the host's cache first (prefer-offline) and only asks the registry for what is missing.
 * No layer cache is kept (nothing is left behind but the tagged image, which the caller
 * removes) unless CELERIAC_TEST_PODMAN_CACHE=1, which makes repeated local runs take seconds.
 * The build stage and the production dependencies' stage run side by side (--jobs 2).
 * Returns the build log.
 */
export async function buildImage(
  base: string,
  runtime: string,
  tag: string,
  nice = 0,
): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'celeriac-npmrc-'));
  const npmrc = join(dir, 'npmrc');
  const cafile = hostCafile();
  writeFileSync(npmrc, `prefer-offline=true\n${cafile ? `cafile=${cafile}\n` : ''}`);
  try {
    const args = [
      'build',
      `--layers=${process.env.CELERIAC_TEST_PODMAN_CACHE === '1'}`,
      '--jobs',
      '2',
      ...LIMITS,
      '--format',
      'docker',
      '--network',
      'host',
      '--build-arg',
      `NODE_IMAGE=${base}`,
      '--build-arg',
      `RUNTIME_IMAGE=${runtime}`,
      '--volume',
      `${npmrc}:/root/.npmrc:ro`,
      '--volume',
      `${join(homedir(), '.npm')}:/root/.npm`,
      ...(cafile ? ['--volume', `${cafile}:${cafile}:ro`] : []),
      '--tag',
      tag,
      ROOT,
    ];
    return await podman(args, 900_000, nice);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `podman run` in the foreground (the process's exit code is the container's); `command` follows the image. */
export function runContainer(
  name: string,
  image: string,
  env: Record<string, string>,
  command: string[] = [],
): ManagedProcess {
  const args = [
    ...PODMAN_GLOBAL,
    'run',
    '--rm',
    '--name',
    name,
    '--network=host',
    '--no-healthcheck',
    ...LIMITS,
    ...Object.entries(env).flatMap(([key, value]) => ['--env', `${key}=${value}`]),
    image,
    ...command,
  ];
  const child = spawn('podman', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new ManagedProcess(`container ${name}`, child);
}

/** Remove a container (if any) and an image, ignoring what is already gone. */
export async function removeQuietly(containers: string[], image?: string): Promise<void> {
  for (const name of containers) {
    await podman(['rm', '--force', '--ignore', name]).catch(() => undefined);
  }
  if (image) await podman(['rmi', '--force', image]).catch(() => undefined);
}
