// Lint for the whole repository. Why these rules: they hold the flow's boundaries (imports point upstream
// only: schema <- parse <- resolve <- trace/topology <- apps) and keep the pure core free of I/O and console.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const stages = ['schema', 'bundle', 'parse', 'resolve', 'trace', 'topology', 'api', 'kube', 'lab'];
// What each package may import from the workspace. Anything else is a back-edge.
const allowed = {
  schema: [],
  bundle: ['schema'],
  parse: ['schema'],
  resolve: ['schema', 'bundle', 'parse'],
  trace: ['schema', 'bundle', 'parse', 'resolve'],
  topology: ['schema', 'bundle', 'parse', 'resolve'],
  api: ['schema', 'bundle', 'parse', 'resolve', 'trace', 'topology'],
  kube: ['schema'],
  lab: ['schema', 'bundle', 'parse'],
};
const pure = ['parse', 'resolve', 'trace', 'topology'];

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/.next/**', '**/node_modules/**', '**/.turbo/**', 'e2e/artifacts/**', '**/next-env.d.ts', '**/testdata/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', AbortController: 'readonly', fetch: 'readonly', performance: 'readonly', structuredClone: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly' } },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'no-restricted-imports': ['error', { patterns: [{ group: ['@patchbay/*/src/*', '@patchbay/*/dist/*'], message: 'Import a package by its public entry point.' }] }],
    },
  },
  ...stages.map((stage) => ({
    files: [`packages/${stage}/src/**/*.ts`],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@patchbay/*/src/*', '@patchbay/*/dist/*'], message: 'Import a package by its public entry point.' },
            {
              group: stages.filter((s) => s !== stage && !allowed[stage].includes(s)).map((s) => `@patchbay/${s}`),
              message: `@patchbay/${stage} may import only ${allowed[stage].join(', ') || 'no workspace package'} (imports point upstream).`,
            },
            ...(pure.includes(stage)
              ? [{ group: ['node:fs', 'node:fs/*', 'node:child_process', 'node:net', 'node:http', 'fs', 'child_process'], message: 'The core is pure: data in, data out. I/O belongs to the agent, the sources, kube and lab.' }]
              : []),
          ],
        },
      ],
      ...(pure.includes(stage) ? { 'no-console': 'error' } : {}),
    },
  })),
);
