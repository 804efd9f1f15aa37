import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql 16 ships CJS (main) and ESM (module) builds; Node, type-graphql and Apollo load the CJS
    // one, so our own code must too, or `instanceof GraphQLScalarType` fails across the two copies.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/support/setup.ts'],
    pool: 'forks',
    // Each file starts its own database and server; two cores run two files at a time.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Every query compiled from its first execution, so the suite checks the compiled path's answers.
    env: { NODE_ENV: 'test', LOG_LEVEL: 'silent', GRAPHQL_COMPILE_AFTER: '1' },
  },
});
