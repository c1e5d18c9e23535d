import { defineConfig } from 'vitest/config';

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
// isolates itself by construction); the slow fault runs follow, one at a time.
const PARALLEL = { maxWorkers: 2, sequence: { groupOrder: 0 } };
const ALONE = { maxWorkers: 1, sequence: { groupOrder: 1 } };

export default defineConfig({
  ...shared,
  test: {
    reporters: ['default', './test/setup/summary-reporter.ts'],
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
        // Long fault-injection runs (leader kills, autoscaling, container builds). CI runs
        // them with everything else; locally `npm run test:slow` runs only these.
        ...shared,
        test: {
          name: 'slow',
          ...ALONE,
          include: ['test/slow/**/*.slow-spec.ts'],
          globalSetup: ['test/setup/global-setup.ts'],
          testTimeout: 600_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
