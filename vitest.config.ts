import { defineConfig } from 'vitest/config';
import DurationSequencer from './test/setup/duration-sequencer.js';

// Decorator metadata is required by Nest's DI; Vite's built-in oxc transformer emits it
// when legacy decorators are on. The `celeriac-source` condition makes `import 'celeriac'`
// resolve to the library's TypeScript sources, so tests never need a prior build. It is this
// repository's own name: the packed package ships no sources, and a consumer whose bundler sets
// the common `source` condition must get `dist` (test/e2e/package-install.e2e-spec.ts).
const shared = {
  oxc: { decorator: { legacy: true, emitDecoratorMetadata: true } },
  // NOTE: no 'import' here: Vitest hands these conditions to Node, and an 'import' condition
  // makes require('pg') load pg-pool's ESM build ("Class extends value [object Module]").
  resolve: { conditions: ['celeriac-source', 'module', 'node', 'development|production'] },
  // Nor 'module' for Node: OpenTelemetry's `module` builds use extension-less imports that
  // Node cannot load (Node itself never uses that condition).
  ssr: { resolve: { conditions: ['celeriac-source', 'node', 'development|production'] } },
};

// Unit and e2e files run two at a time (e2e files mostly wait on services, and every one
// isolates itself by construction); the slow fault runs and the container image suite follow,
// two at a time, and the timed ones last, one at a time.
const PARALLEL = { maxWorkers: 2, sequence: { groupOrder: 0 } };
const PARALLEL_AFTER_E2E = { maxWorkers: 2, sequence: { groupOrder: 1 } };
const ALONE = { maxWorkers: 1, sequence: { groupOrder: 2 } };
const TIMED = ['test/slow/autoscaling.slow-spec.ts', 'test/slow/beat-failover.slow-spec.ts'];
const IMAGE = ['test/slow/container-image.slow-spec.ts'];

export default defineConfig({
  ...shared,
  test: {
    reporters: ['default', './test/setup/summary-reporter.ts'],
    // Longest files first, from a list on a clean clone (CI): see test/setup/duration-sequencer.ts.
    sequence: { sequencer: DurationSequencer },
    projects: [
      {
        ...shared,
        test: {
          name: 'unit',
          ...PARALLEL,
          include: ['libs/**/src/**/*.spec.ts', 'apps/**/src/**/*.spec.ts'],
          testTimeout: 15_000,
        },
      },
      {
        ...shared,
        test: {
          name: 'e2e',
          ...PARALLEL,
          include: ['test/**/*.e2e-spec.ts'],
          globalSetup: ['test/setup/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        // Long fault-injection runs (pool misbehaviour, container builds, broker outages under
        // a pool). CI runs them with everything else; locally `npm run test:slow` runs only
        // these and the timed ones below.
        ...shared,
        test: {
          name: 'slow',
          ...PARALLEL_AFTER_E2E,
          include: ['test/slow/**/*.slow-spec.ts'],
          exclude: [...TIMED, ...IMAGE],
          globalSetup: ['test/setup/global-setup.ts'],
          testTimeout: 600_000,
          hookTimeout: 180_000,
        },
      },
      {
        // The container image suite runs with the slow ones, but its global setup starts the
        // image build (minutes) as the run begins, at low priority, so that it overlaps the
        // unit and e2e files instead of being the slow group's longest wait.
        ...shared,
        test: {
          name: 'image',
          ...PARALLEL_AFTER_E2E,
          include: IMAGE,
          globalSetup: ['test/setup/global-setup.ts', 'test/setup/image-setup.ts'],
          testTimeout: 600_000,
          hookTimeout: 180_000,
        },
      },
      {
        // Runs whose verdict depends on time (autoscaling reaction, beat failover within 6 s):
        // last, one at a time, on a machine nothing else in the suite is loading.
        ...shared,
        test: {
          name: 'timed',
          ...ALONE,
          include: TIMED,
          globalSetup: ['test/setup/global-setup.ts'],
          testTimeout: 600_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
