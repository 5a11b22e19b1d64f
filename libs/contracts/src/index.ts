// class-transformer's @Type reads design-time metadata: the polyfill must be loaded first.
import 'reflect-metadata';

export * from './lib/topics';
export * from './lib/common';
export * from './lib/cloudevents';
export * from './lib/catalog';
export * from './lib/harvest.events';
export * from './lib/grading.events';
export * from './lib/warehouse.events';
export * from './lib/orders.events';
export * from './lib/shipments.events';
export * from './lib/roles';
export * from './lib/asyncapi';
