// Lint for the sources, the tests and the scripts: typescript-eslint's recommended rules, and lines
// of at most 150 characters so a diff stays readable side by side.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'imports/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      'max-len': ['error', { code: 150, ignoreUrls: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
    },
  },
  // Written by `npm run cilium-keys`, one chart minor per line; a test holds it to the chart archives.
  { files: ['lib/components/cilium/chart-keys.ts'], rules: { 'max-len': 'off' } },
  {
    files: ['bin/**/*.js', '**/*.cjs', 'jest.config.js', 'test/support/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', __dirname: 'readonly', process: 'readonly', console: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off', 'max-len': ['error', { code: 150 }] },
  },
  // ES module scripts the tests run in a child process under Node.
  {
    files: ['test/support/*.mjs'],
    languageOptions: { sourceType: 'module', globals: { process: 'readonly', console: 'readonly' } },
  },
);
