// @ts-check
/**
 * Integration (`*.int-spec.ts`) and end-to-end (`apps/firstmile-e2e`) tests against a real Kafka
 * broker and a real MongoDB-wire store, started once for the run by the global setup.
 * @type {import('jest').Config}
 */
module.exports = {
  ...require('./jest.shared'),
  displayName: 'integration',
  testMatch: ['<rootDir>/{apps,libs}/**/*.int-spec.ts', '<rootDir>/apps/firstmile-e2e/**/*.e2e-spec.ts'],
  globalSetup: '<rootDir>/libs/testing/src/global-setup.ts',
  globalTeardown: '<rootDir>/libs/testing/src/global-teardown.ts',
  testTimeout: 120_000,
  // Two cores also run the broker, the store and the services: one test file at a time.
  maxWorkers: 1,
};
