export * from './lib/geo';
export * from './lib/grades';
export * from './lib/engine';
export * from './lib/tracking';
