// Import-cycle check of the library (`npm run lint`). A cycle through value or dynamic imports
// fails; imports of types only are erased at compile time and do not count.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    // Folder directions (docs/architecture.md). Type-only imports are erased and do not count.
    ...[
      ['config', ['(?!config/|contracts/|errors/|utils/|task-queue\\.(constants|messages)\\.ts)']],
      [
        'contracts',
        ['(?!contracts/|config/|errors/|utils/|results/|protocol/|task-queue\\.constants\\.ts)'],
      ],
      ['(errors|utils)', ['(?!errors/|utils/)']],
      [
        '(protocol|results)',
        [
          '(?!protocol/|results/|contracts/|config/|errors/|utils/|task-queue\\.(constants|messages)\\.ts)',
        ],
      ],
      [
        'tasks',
        ['producer/', 'worker/', 'canvas/', 'monitoring/', 'transaction/', 'transports/', 'beat/'],
      ],
      [
        '(revocation|broadcast)',
        ['producer/', 'worker/', 'canvas/', 'monitoring/', 'transaction/', 'transports/', 'beat/'],
      ],
      ['producer', ['worker/', 'canvas/', 'monitoring/', 'transaction/', 'transports/', 'beat/']],
      ['canvas', ['worker/', 'monitoring/', 'transaction/', 'transports/', 'beat/']],
      ['worker', ['monitoring/', 'transaction/', 'transports/', 'beat/']],
      ['beat', ['worker/', 'monitoring/', 'transaction/', 'transports/']],
      [
        'transports',
        ['tasks/', 'producer/', 'worker/', 'canvas/', 'monitoring/', 'transaction/', 'beat/'],
      ],
    ].map(([from, targets]) => ({
      name: `layers-${from.replace(/\W/g, '')}`,
      severity: 'error',
      comment: `${from}/ imports a folder above it; see docs/architecture.md for the allowed directions.`,
      from: { path: `^libs/task-queue/src/${from}/` },
      to: {
        path: targets.map((t) => `^libs/task-queue/src/${t}`),
        dependencyTypesNot: ['type-only'],
      },
    })),
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'This module is part of an import cycle through value or dynamic imports. Move the ' +
        'shared piece to a module both can import, or pass it in (a provider, a parameter).',
      from: {},
      to: {
        circular: true,
        viaOnly: { dependencyTypesNot: ['type-only'] },
      },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['\\.spec\\.ts$', '/__fixtures__/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['celeriac-source', 'import', 'require', 'node', 'default'],
      extensions: ['.ts', '.js'],
    },
  },
};
