export * from './lib/gtin';
export * from './lib/digital-link';
export * from './lib/location';
