/** Tests are transpiled by esbuild (no type-checking here: `npm run typecheck` does that). */
module.exports = {
  testEnvironment: 'node',
  // One worker per core: Jest's default keeps a core for itself, which on a 2-core machine runs
  // every file in one worker while the main process mostly waits.
  maxWorkers: '100%',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': '<rootDir>/test/support/esbuild-transform.js' },
};
