// @ts-check
/** Unit tests: `*.spec.ts` beside the code; no broker, no store. @type {import('jest').Config} */
module.exports = {
  ...require('./jest.shared'),
  displayName: 'unit',
  testMatch: ['<rootDir>/{apps,libs,tools}/**/*.spec.ts'],
};
