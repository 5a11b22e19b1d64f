export * from './lib/env-values';
export * from './lib/validate-env';
