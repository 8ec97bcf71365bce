/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
  },
  testTimeout: 120000,
  // Most suites wait on MariaDB or terraform child processes, so two workers keep both cores busy.
  maxWorkers: 2,
  globalSetup: '<rootDir>/__tests__/global-setup.ts',
};
