import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

const io = ['mongoose', '@nestjs/mongoose', 'kafkajs', '@nestjs/microservices'];

export default [
  { ignores: ['**/node_modules', '**/dist', '.cache/**', '.nx/**'] },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  prettier,
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          // The ingest benchmark (tools/bench) drives grading's real app in its own process: the one import
          // of an app, by its alias.
          allow: ['@firstmile/grading/app'],
          depConstraints: [
            // Layers: apps compose platform, contracts and pure domain engines.
            {
              sourceTag: 'type:app',
              onlyDependOnLibsWithTags: ['type:platform', 'type:contracts', 'type:domain', 'type:reference', 'type:testing'],
            },
            { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:testing', 'type:contracts', 'type:reference'] },
            { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:platform', 'type:contracts', 'type:reference'] },
            { sourceTag: 'type:reference', onlyDependOnLibsWithTags: [], bannedExternalImports: io },
            { sourceTag: 'type:platform', onlyDependOnLibsWithTags: ['type:platform', 'type:contracts'] },
            // The event catalog is plain classes: no driver, broker or transport leaks into it.
            { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:contracts'], bannedExternalImports: io },
            // Domain engines are pure functions over plain data; they speak the contracts' vocabulary
            // (shipment statuses, kilograms and grams), which imports no I/O either.
            {
              sourceTag: 'type:domain',
              onlyDependOnLibsWithTags: ['type:domain', 'type:contracts'],
              bannedExternalImports: [...io, '@nestjs/*', 'fastify'],
            },
            // Bounded contexts never import each other; they share only what scope:shared offers.
            { sourceTag: 'scope:harvest', onlyDependOnLibsWithTags: ['scope:shared', 'scope:harvest'] },
            { sourceTag: 'scope:grading', onlyDependOnLibsWithTags: ['scope:shared', 'scope:grading'] },
            { sourceTag: 'scope:warehouse', onlyDependOnLibsWithTags: ['scope:shared', 'scope:warehouse'] },
            { sourceTag: 'scope:orders', onlyDependOnLibsWithTags: ['scope:shared', 'scope:orders'] },
            { sourceTag: 'scope:console', onlyDependOnLibsWithTags: ['scope:shared', 'scope:console'] },
            // The read side may read grading's standards (grade order decides a sub-lot's GTIN), never its app.
            { sourceTag: 'scope:insights', onlyDependOnLibsWithTags: ['scope:shared', 'scope:insights', 'scope:grading'] },
            { sourceTag: 'scope:e2e', onlyDependOnLibsWithTags: ['scope:shared'] },
            // Developer tools (start, benchmarks, manifests) use the shared libraries and the test harness.
            { sourceTag: 'scope:tools', onlyDependOnLibsWithTags: ['scope:shared', 'scope:grading'] },
            {
              sourceTag: 'type:tools',
              onlyDependOnLibsWithTags: ['type:platform', 'type:contracts', 'type:domain', 'type:reference', 'type:testing'],
            },
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
          ],
        },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  // Type-aware rules (issue 20.5): a promise nobody awaits or catches, a promise where a plain value is
  // expected (an async callback to an emitter or a condition), and a switch over a union that forgets a
  // member. Each file is checked against its project's tsconfig.json (projectService).
  {
    files: ['**/*.ts', 'tools/**/*.mjs'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts', 'libs/testing/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
];
