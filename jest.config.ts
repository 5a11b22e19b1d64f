import type { Config } from 'jest';
import { shared } from './jest.shared';

/** Unit tests: `*.spec.ts` beside the code; no broker, no store. */
const config: Config = {
  ...shared,
  displayName: 'unit',
  testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts'],
};

export default config;
