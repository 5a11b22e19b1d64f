export * from './lib/mongo.env';
export * from './lib/mongo.module';
export * from './lib/outbox';
export * from './lib/outbox-relay';
export * from './lib/outbox-relay.module';
export * from './lib/ids';
export * from './lib/errors';
export * from './lib/group-commit';
