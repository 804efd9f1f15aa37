// @ts-check
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores(['dist/', '.test-build/', 'data/', 'coverage/', '.bench/']),
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Rejecting control characters in untrusted text (token claims, inputs, ZIP part names) is on purpose here.
      'no-control-regex': 'off',
      // Apollo plugin hooks, em.transactional callbacks and FileSource must return promises; async turns a throw into a rejection.
      '@typescript-eslint/require-await': 'off',
      // defineEntity types a defaulted enum property as Opt<Enum>, which this rule does not recognise as the enum.
      '@typescript-eslint/no-unsafe-enum-comparison': 'off',
      // Dropping a key by destructuring it beside a rest element is the idiom tsc's noUnusedLocals accepts too.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
      // Passing on an error of unknown type unchanged, as only-throw-error's defaults allow for `throw`.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
    },
  },
  {
    // The console's browser modules, served as they are (no build step).
    files: ['src/console/web/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        ['window', 'document', 'location', 'history', 'navigator', 'fetch', 'FormData', 'URL', 'URLSearchParams', 'sessionStorage', 'localStorage',
          'crypto', 'TextEncoder', 'btoa', 'addEventListener', 'removeEventListener', 'console', 'setTimeout', 'clearTimeout', 'performance', 'Blob']
          .map((name) => [name, 'readonly']),
      ),
    },
  },
  {
    files: ['migrations/**/*.ts'],
    rules: {
      // MikroORM's generator escapes every `$` in the SQL it writes, and a committed migration is never edited.
      'no-useless-escape': 'off',
    },
  },
);
