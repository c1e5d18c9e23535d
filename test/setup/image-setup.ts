import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { type ImageBuild, runImageBuild } from '../support/image-build.js';
import { nodeBaseImage, removeQuietly } from '../support/podman.js';

declare module 'vitest' {
  export interface ProvidedContext {
    imageBuild: ImageBuild;
  }
}

/**
 * Global setup of the `image` project (test/slow/container-image.slow-spec.ts): start the image
 * build as the run begins, at low priority, so it overlaps the unit and e2e files; the suite
 * waits for it (test/support/image-build.ts). The teardown waits for the build to end and
 * removes the image.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Installing podman (apt-get, as root) happens first, not next to the e2e files' own apt-get
  // installs (chromium): two at once, one fails on the dpkg lock. A failure here is the
  // build's, which the suite reports.
  const tools = spawnSync('sh', [
    '-c',
    'command -v podman && command -v runc && command -v newuidmap',
  ]);
  if (tools.status !== 0) await nodeBaseImage().catch(() => undefined);
  const build: ImageBuild = {
    tag: `localhost/celeriac-test:${randomUUID().slice(0, 8)}`,
    dir: mkdtempSync(join(tmpdir(), 'celeriac-image-')),
    rootPid: process.pid,
  };
  project.provide('imageBuild', build);
  const ended = runImageBuild(build);
  return async () => {
    await ended;
    await removeQuietly([], build.tag);
    rmSync(build.dir, { recursive: true, force: true });
  };
}
