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
export * from './lib/money';
// Not `./lib/asyncapi`: the AsyncAPI generator needs yaml, a development dependency. Exported from
// here, every service loaded it at start-up, and the Docker image (dev dependencies pruned) could
// not start. Its spec writes docs/asyncapi.yaml. (class-validator-jsonschema is a runtime dependency
// now: libs/http writes the validators' rules into each service's OpenAPI document with it.)
