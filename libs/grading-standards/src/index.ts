export * from './lib/types';
export * from './lib/standards';
export * from './lib/grade';
export * from './lib/quantities';
