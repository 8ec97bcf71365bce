const { readdirSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

/**
 * Two groups of suites: `unit` needs neither MariaDB nor terraform (npm run test:unit), `integration` starts a
 * throwaway MariaDB or plans the stacks offline. A suite says what it needs in a `@needs mariadb|terraform` comment
 * at its top, so the split follows the suites, not a list kept here.
 */
function testFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'fixtures' ? [] : testFiles(path);
    return entry.name.endsWith('.test.ts') ? [path] : [];
  });
}
const needsServices = (file) => /@needs (mariadb|terraform)/.test(readFileSync(file, 'utf8').slice(0, 400));
const all = testFiles(join(__dirname, '__tests__'));

const common = {
  testEnvironment: 'node',
  rootDir: __dirname,
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
};

/** @type {import('jest').Config} */
module.exports = {
  testTimeout: 120000,
  // Most integration suites wait on MariaDB or terraform child processes, so two workers keep both cores busy.
  maxWorkers: 2,
  projects: [
    { ...common, displayName: 'unit', testMatch: all.filter((file) => !needsServices(file)) },
    {
      ...common,
      displayName: 'integration',
      testMatch: all.filter(needsServices),
      globalSetup: '<rootDir>/__tests__/global-setup.ts',
    },
  ],
};
