// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { builtinModules } from 'node:module';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.data/**', 'web/dist/**', 'coverage/**', 'test-results/**'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: { allowDefaultProject: ['*.mjs'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true, allowNullish: true }],
      // knex answers are `any`; the assertions name the row shapes we read, which the rule would strip.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      'no-console': 'error',
    },
  },
  {
    // The layers, in one picture (docs/architecture.md): no module imports one that imports it back, and only
    // db/ builds queries. Type-only imports do not count as cycles: they vanish at run time.
    files: ['**/*.ts', '**/*.tsx'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx'] },
      'import-x/extensions': ['.ts', '.tsx', '.js'],
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.tsx', '.js', '.json'] })],
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  {
    // Queries are built in db/: the API, the services, the activities, the domain, the workflows, the worker
    // and the libraries call its repositories (a unit of work may still open a transaction and hand it to them).
    files: ['activities/**/*.ts', 'api/**/*.ts', 'bms/**/*.ts', 'domain/**/*.ts', 'lib/**/*.ts', 'services/**/*.ts', 'worker/**/*.ts', 'workflows/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.type='Identifier'][callee.name=/^(db|trx|knex)$/]", message: 'Queries are built in db/ only: call a repository there.' },
        { selector: "CallExpression[callee.property.name=/^(db|trx|knex)$/]", message: 'Queries are built in db/ only: call a repository there.' },
        { selector: "CallExpression[callee.property.name='raw']", message: 'Queries are built in db/ only: call a repository there.' },
      ],
    },
  },
  {
    // The BMS client, lib/ and db/ are libraries to the layers above them: they never import those layers
    // (lib/temporal.ts starts workflows, so it may name their shared definitions: ids, signals, attributes).
    files: ['bms/**/*.ts', 'lib/**/*.ts', 'db/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '**/activities',
                '**/activities/**',
                '**/services',
                '**/services/**',
                '**/api/**',
                '**/worker',
                '**/worker/**',
                '**/workflows/**',
                '!**/workflows/definitions',
                '!**/workflows/search-attributes',
              ],
              allowTypeImports: true,
              message: 'A library layer (bms/, lib/, db/) does not depend on the layers that use it.',
            },
          ],
        },
      ],
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no Node built-ins, no I/O, activities by type only.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'Workflows must not use Node built-ins; do I/O in activities.' })),
          patterns: [
            { group: ['**/activities', '**/activities/**'], allowTypeImports: true, message: 'Workflows import activity types only.' },
            { group: ['**/db', '**/db/**', '**/api/**', '**/config', '**/config/**'], message: 'Workflows do no I/O.' },
            { group: ['**/bms/*', '!**/bms/errors'], allowTypeImports: true, message: 'Workflows do no I/O; of the BMS library only its error names are theirs to import.' },
          ],
        },
      ],
    },
  },
  {
    // The domain is pure: it may name the BMS library's wire types, never run its code.
    files: ['domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/bms', '**/bms/**'], allowTypeImports: true, message: 'domain/ imports BMS types only (import type).' }] },
      ],
    },
  },
  {
    files: ['scripts/**/*.ts', 'bench/**/*.ts', 'test/**/*.ts', 'devstack/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    // Tests read JSON answers as `any`; the assertions are what check their shape.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-expressions': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // The web UI runs in the browser (typed by web/src/tsconfig.json); data is rendered as text, never as HTML.
    files: ['web/src/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "JSXAttribute[name.name='dangerouslySetInnerHTML']", message: 'Render data as text; never as HTML.' },
        { selector: "MemberExpression[property.name=/^(innerHTML|outerHTML)$/]", message: 'Render data as text; never as HTML.' },
        { selector: "CallExpression[callee.property.name='insertAdjacentHTML']", message: 'Render data as text; never as HTML.' },
      ],
      'no-restricted-globals': ['error', { name: 'localStorage', message: 'The session lives in sessionStorage only.' }],
      // The API's contract reaches the browser as types only: its schemas (and zod) stay on the server.
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ group: ['../../*', '../../../*'], allowTypeImports: true, message: 'The web UI imports the API contract and domain as types only.' }] },
      ],
    },
  },
  { files: ['*.mjs'], ...tseslint.configs.disableTypeChecked },
);
