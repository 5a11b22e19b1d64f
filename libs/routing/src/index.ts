export * from './lib/geo';
export * from './lib/grades';
export * from './lib/quantities';
export * from './lib/engine';
export * from './lib/tracking';
