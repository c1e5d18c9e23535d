// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      'libs/dashboard/assets/**',
      'node_modules/**',
      'coverage/**',
      '.bench/**',
      '**/*.cjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly' },
      // Classes injected by type must stay value imports: tell the type-import rule that
      // decorator metadata references them.
      parserOptions: { emitDecoratorMetadata: true, experimentalDecorators: true },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
    },
  },
  {
    files: ['libs/*/bin/**/*.js', 'libs/*/scripts/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    // The dashboard's browser code (bundled by libs/dashboard/scripts/build-ui.mjs).
    files: ['libs/dashboard/ui/**/*.js'],
    languageOptions: {
      globals: Object.fromEntries(
        [
          'window',
          'document',
          'location',
          'fetch',
          'EventSource',
          'FormData',
          'URLSearchParams',
          'requestAnimationFrame',
          'setTimeout',
          'addEventListener',
          'removeEventListener',
        ].map((name) => [name, 'readonly']),
      ),
    },
  },
  {
    // The container image's entry point and HEALTHCHECK (plain Node ESM, no build step).
    files: ['deploy/docker/*.mjs'],
    languageOptions: {
      globals: { URL: 'readonly', fetch: 'readonly', AbortSignal: 'readonly' },
    },
  },
);
