export * from './lib/infra';
export * from './lib/auth';
export * from './lib/wait';
export * from './lib/topic-probe';
export * from './lib/app';
export * from './lib/query-plans';
export * from './lib/lean-inserts';
