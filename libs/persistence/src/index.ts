// Registers the per-document write lock on every schema before any model is compiled.
import './lib/write-serializer';

export * from './lib/mongo.env';
export * from './lib/mongo.module';
export * from './lib/outbox';
export * from './lib/outbox-relay';
export * from './lib/outbox-relay.module';
export * from './lib/ids';
export * from './lib/errors';
