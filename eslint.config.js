import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [
  'node:*',
  'fs',
  'path',
  'os',
  'worker_threads',
  'child_process',
  'crypto',
  'url',
  'util',
  'stream',
];

/** The layer graph of DESIGN.md, enforced: a wrong import fails lint with the rule it breaks. */
const layering = [
  {
    files: ['main/**/*.ts', 'shared/**/*.ts', 'renderer/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    ignores: ['main/app/**', 'main/preload/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'electron',
              message: 'Only main/app and main/preload may import electron; the engine runs in plain Node.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['electron'],
          patterns: [
            { group: nodeBuiltins, message: 'shared/ is used by the renderer: no Node modules here.' },
            {
              group: ['**/main/**', '**/renderer/**'],
              message: 'shared/ depends on nothing else in the project.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['renderer/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['electron'],
          patterns: [
            {
              group: ['**/main/**'],
              message: 'The renderer reaches the engine only through the API client (shared/ contract).',
            },
            { group: nodeBuiltins, message: 'No Node in the renderer.' },
          ],
        },
      ],
    },
  },
  {
    files: ['main/**/*.ts'],
    ignores: [
      'main/app/**',
      'main/preload/**',
      'main/training/worker/**',
      'main/training/engine/**',
      'main/training/kernels/**',
      'main/latent/worker/**',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'electron',
              message: 'Only main/app and main/preload may import electron; the engine runs in plain Node.',
            },
          ],
          patterns: [
            {
              group: ['@tensorflow/*'],
              message:
                'TensorFlow.js loads only in worker threads (main/training/worker, engine, kernels; main/latent/worker): the main process stays quick to start.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['main/training/engine/**/*.ts', 'main/training/kernels/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['electron'],
          patterns: [
            {
              group: nodeBuiltins,
              message:
                'The training engine and kernels also run in a browser: no Node imports; I/O belongs to the worker host (main/training/worker).',
            },
          ],
        },
      ],
    },
  },
];

export default tseslint.config(
  {
    ignores: [
      'out/**',
      'node_modules/**',
      'test-results/**',
      'playwright-report/**',
      'bench/results/**',
      'dist/**',
      '**/*.svelte',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-empty-pattern': 'off',
    },
  },
  { files: ['renderer/**/*.ts'], languageOptions: { globals: { ...globals.browser } } },
  ...layering,
);
